package server

import (
	"encoding/json"
	"strconv"
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/aiwfe/aiwfe/app/apperr"
	"github.com/aiwfe/aiwfe/app/tasks"
)

// tasksGET lists the caller's tasks: filters status (comma-separated),
// category_id (a number or "none"), tag, due_after, due_before, overdue,
// parent_id (a number or "none" for top-level), q; sort, order, page,
// per_page.
func (s *Server) tasksGET(c *fiber.Ctx) error {
	page, per, err := queryPage(c, 50)
	if err != nil {
		return err
	}
	req := tasks.ListRequest{
		Tag: c.Query("tag"), DueAfter: c.Query("due_after"), DueBefore: c.Query("due_before"), Query: c.Query("q"),
		Sort: c.Query("sort"), Order: c.Query("order"), Page: int(min(page, 1<<20)), PerPage: int(min(per, tasks.MaxPerPage)),
	}
	for _, st := range strings.Split(c.Query("status"), ",") {
		if st = strings.TrimSpace(st); st != "" {
			req.Status = append(req.Status, st)
		}
	}
	if req.CategoryID, err = queryOptionalID(c, "category_id"); err != nil {
		return err
	}
	if req.ParentID, err = queryOptionalID(c, "parent_id"); err != nil {
		return err
	}
	switch c.Query("overdue") {
	case "", "false", "0":
	case "true", "1":
		req.Overdue = true
	default:
		return apperr.Invalid("overdue", "overdue must be true or false")
	}
	res, err := s.app.Tasks.List(c.UserContext(), currentUser(c).UserID, req)
	if err != nil {
		return err
	}
	return c.JSON(res)
}

// queryOptionalID reads a filter that is an id or "none" (0); absent is
// nil.
func queryOptionalID(c *fiber.Ctx, name string) (*int64, error) {
	v := c.Query(name)
	if v == "" {
		return nil, nil
	}
	var id int64
	if v != "none" {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n <= 0 {
			return nil, apperr.Invalid(name, name+" must be an id or none")
		}
		id = n
	}
	return &id, nil
}

// tasksPOST adds a task.
func (s *Server) tasksPOST(c *fiber.Ctx) error {
	var in tasks.Input
	if err := decodeJSON(c, &in); err != nil {
		return err
	}
	t, err := s.app.Tasks.Create(c.UserContext(), currentUser(c).UserID, in)
	if err != nil {
		return err
	}
	return c.Status(fiber.StatusCreated).JSON(t)
}

// taskGET shows one of the caller's tasks.
func (s *Server) taskGET(c *fiber.Ctx) error {
	id, err := pathID(c, "task")
	if err != nil {
		return err
	}
	t, err := s.app.Tasks.Get(c.UserContext(), currentUser(c).UserID, id)
	if err != nil {
		return err
	}
	return c.JSON(t)
}

// taskNulls is what JSON null means in a task PATCH: clear the field.
var taskNulls = map[string]string{
	"due": `""`, "estimated_minutes": "0", "category_id": "0", "parent_id": "0", "recurrence": `""`, "notes": `""`, "tags": "[]",
}

// taskPATCH changes fields of one of the caller's tasks; null clears
// due, estimated_minutes, category_id, parent_id, recurrence, notes and tags.
func (s *Server) taskPATCH(c *fiber.Ctx) error {
	id, err := pathID(c, "task")
	if err != nil {
		return err
	}
	var p tasks.Patch
	if err := decodePatch(c, taskNulls, &p); err != nil {
		return err
	}
	t, err := s.app.Tasks.Update(c.UserContext(), currentUser(c).UserID, id, p)
	if err != nil {
		return err
	}
	return c.JSON(t)
}

// decodePatch is decodeJSON for a partial update where null clears a
// field: each null among nulls becomes the value that means "clear" to
// the service, any other null is refused.
func decodePatch(c *fiber.Ctx, nulls map[string]string, dst any) error {
	m, err := decodeObject(c)
	if err != nil {
		return err
	}
	for k, v := range m {
		if string(v) != "null" {
			continue
		}
		zero, ok := nulls[k]
		if !ok {
			return apperr.Invalid(k, k+" cannot be null")
		}
		m[k] = json.RawMessage(zero)
	}
	body, _ := json.Marshal(m)
	return decodeJSONBytes(body, dst)
}

// taskDELETE deletes one of the caller's tasks and its subtasks.
func (s *Server) taskDELETE(c *fiber.Ctx) error {
	id, err := pathID(c, "task")
	if err != nil {
		return err
	}
	if err := s.app.Tasks.Delete(c.UserContext(), currentUser(c).UserID, id); err != nil {
		return err
	}
	return c.SendStatus(fiber.StatusNoContent)
}

// tasksBulkPOST changes many tasks in one transaction: status and/or
// category_id (null: none), or delete. All or nothing.
func (s *Server) tasksBulkPOST(c *fiber.Ctx) error {
	var body struct {
		IDs        []int64         `json:"ids"`
		Status     *string         `json:"status"`
		CategoryID json.RawMessage `json:"category_id"`
		Delete     bool            `json:"delete"`
	}
	if err := decodeJSON(c, &body); err != nil {
		return err
	}
	req := tasks.BulkRequest{IDs: body.IDs, Status: body.Status, Delete: body.Delete}
	if body.CategoryID != nil {
		var id int64
		if string(body.CategoryID) != "null" {
			if err := json.Unmarshal(body.CategoryID, &id); err != nil || id <= 0 {
				return apperr.Invalid("category_id", "category_id must be a category's id or null")
			}
		}
		req.CategoryID = &id
	}
	res, err := s.app.Tasks.Bulk(c.UserContext(), currentUser(c).UserID, req)
	if err != nil {
		return err
	}
	return c.JSON(res)
}

// tasksDueGET lists the caller's open tasks that are overdue, due today
// and due in the next days (days, default 7), in the caller's time zone.
func (s *Server) tasksDueGET(c *fiber.Ctx) error {
	days, err := queryInt(c, "days", 7)
	if err != nil {
		return err
	}
	res, err := s.app.Tasks.Due(c.UserContext(), currentUser(c).UserID, int(min(days, 1<<20)))
	if err != nil {
		return err
	}
	return c.JSON(res)
}

// taskCategoriesGET lists the caller's categories with their task counts.
func (s *Server) taskCategoriesGET(c *fiber.Ctx) error {
	cats, err := s.app.Tasks.Categories(c.UserContext(), currentUser(c).UserID)
	if err != nil {
		return err
	}
	return c.JSON(fiber.Map{"items": cats})
}

// taskCategoriesPOST adds a category.
func (s *Server) taskCategoriesPOST(c *fiber.Ctx) error {
	var in tasks.CategoryInput
	if err := decodeJSON(c, &in); err != nil {
		return err
	}
	cat, err := s.app.Tasks.CreateCategory(c.UserContext(), currentUser(c).UserID, in)
	if err != nil {
		return err
	}
	return c.Status(fiber.StatusCreated).JSON(cat)
}

// taskCategoryPATCH renames, recolours or reweighs a category.
func (s *Server) taskCategoryPATCH(c *fiber.Ctx) error {
	id, err := pathID(c, "category")
	if err != nil {
		return err
	}
	var p tasks.CategoryPatch
	if err := decodeJSON(c, &p); err != nil {
		return err
	}
	cat, err := s.app.Tasks.UpdateCategory(c.UserContext(), currentUser(c).UserID, id, p)
	if err != nil {
		return err
	}
	return c.JSON(cat)
}

// taskCategoryDELETE deletes a category; its tasks move to none and the
// answer says how many.
func (s *Server) taskCategoryDELETE(c *fiber.Ctx) error {
	id, err := pathID(c, "category")
	if err != nil {
		return err
	}
	moved, err := s.app.Tasks.DeleteCategory(c.UserContext(), currentUser(c).UserID, id)
	if err != nil {
		return err
	}
	return c.JSON(fiber.Map{"id": id, "tasks_moved": moved})
}
