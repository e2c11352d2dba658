package server

import (
	"errors"
	"io"
	"mime"
	"mime/multipart"

	"github.com/gofiber/fiber/v2"

	"github.com/aiwfe/aiwfe/app/apperr"
	"github.com/aiwfe/aiwfe/app/documents"
)

// uploadSlack is what a multipart request may hold beyond its files'
// limit: part headers, boundaries and the collection field.
const uploadSlack = 1 << 20

var errNotMultipart = apperr.New(fiber.StatusUnsupportedMediaType, "unsupported_media_type",
	"send multipart/form-data with one or more \"file\" fields (and an optional \"collection\")")

// documentsPOST stores uploaded files (multipart: one or more "file"
// fields, an optional "collection") and queues them for ingestion. The
// body streams to disk, part by part; nothing is kept unless every part
// was good.
func (s *Server) documentsPOST(c *fiber.Ctx) error {
	mt, params, err := mime.ParseMediaType(c.Get(fiber.HeaderContentType))
	if err != nil || mt != "multipart/form-data" || params["boundary"] == "" {
		return errNotMultipart
	}
	svc := s.app.Documents
	var ups []*documents.Upload
	ok := false
	defer func() {
		if !ok {
			svc.Discard(ups)
		}
	}()
	collection := ""
	mr := multipart.NewReader(bodyStream(c), params["boundary"])
	for {
		part, err := mr.NextPart()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return multipartError(err)
		}
		switch part.FormName() {
		case "file":
			if part.FileName() == "" {
				return apperr.Invalid("file", "a file field must carry a file name")
			}
			up, err := svc.Spool(part.FileName(), part.Header.Get(fiber.HeaderContentType), part)
			if err != nil {
				return multipartError(err)
			}
			ups = append(ups, up)
		case "collection":
			b, err := io.ReadAll(io.LimitReader(part, 4<<10))
			if err != nil {
				return multipartError(err)
			}
			collection = string(b)
		default:
			return apperr.Invalid(part.FormName(), "unknown field: send \"file\" and \"collection\" only")
		}
	}
	ok = true // Add consumes the uploads
	docs, err := svc.Add(c.UserContext(), currentUser(c).UserID, collection, ups)
	if err != nil {
		return err
	}
	return c.Status(fiber.StatusAccepted).JSON(fiber.Map{"items": docs})
}

// multipartError keeps the errors that say what to do (413, a field) and
// makes the rest a 400.
func multipartError(err error) error {
	var e *apperr.Error
	if errors.As(err, &e) {
		return e
	}
	return apperr.BadRequest("the multipart body is malformed")
}

// documentsGET lists the caller's documents, newest first; collection
// and status filter.
func (s *Server) documentsGET(c *fiber.Ctx) error {
	page, per, err := queryPage(c, 20)
	if err != nil {
		return err
	}
	req := documents.ListRequest{Status: c.Query("status"), Page: int(min(page, 1<<20)), PerPage: int(min(per, 100))}
	if c.Context().QueryArgs().Has("collection") {
		coll := c.Query("collection")
		req.Collection = &coll
	}
	items, total, err := s.app.Documents.List(c.UserContext(), currentUser(c).UserID, req)
	if err != nil {
		return err
	}
	if req.PerPage < 1 {
		req.PerPage = 20
	}
	return c.JSON(fiber.Map{"items": items, "total": total, "page": max(req.Page, 1), "per_page": req.PerPage})
}

// documentGET shows one of the caller's documents.
func (s *Server) documentGET(c *fiber.Ctx) error {
	id, err := pathID(c, "document")
	if err != nil {
		return err
	}
	d, err := s.app.Documents.Get(c.UserContext(), currentUser(c).UserID, id)
	if err != nil {
		return err
	}
	return c.JSON(d)
}

// documentPATCH renames a document or moves it to another collection.
func (s *Server) documentPATCH(c *fiber.Ctx) error {
	id, err := pathID(c, "document")
	if err != nil {
		return err
	}
	var req struct {
		Name       *string `json:"name"`
		Collection *string `json:"collection"`
	}
	if err := decodeJSON(c, &req); err != nil {
		return err
	}
	d, err := s.app.Documents.Update(c.UserContext(), currentUser(c).UserID, id, req.Name, req.Collection)
	if err != nil {
		return err
	}
	return c.JSON(d)
}

// documentDELETE deletes a document: chunks, vectors and the stored file.
func (s *Server) documentDELETE(c *fiber.Ctx) error {
	id, err := pathID(c, "document")
	if err != nil {
		return err
	}
	if err := s.app.Documents.Delete(c.UserContext(), currentUser(c).UserID, id); err != nil {
		return err
	}
	return c.SendStatus(fiber.StatusNoContent)
}

// documentContentGET is the extracted text of one page (default 1).
func (s *Server) documentContentGET(c *fiber.Ctx) error {
	id, err := pathID(c, "document")
	if err != nil {
		return err
	}
	page, err := queryInt(c, "page", 1)
	if err != nil {
		return err
	}
	pc, err := s.app.Documents.Content(c.UserContext(), currentUser(c).UserID, id, int(min(page, 1<<30)))
	if err != nil {
		return err
	}
	return c.JSON(pc)
}

// documentFileGET sends the original file as a download.
func (s *Server) documentFileGET(c *fiber.Ctx) error {
	id, err := pathID(c, "document")
	if err != nil {
		return err
	}
	d, f, err := s.app.Documents.File(c.UserContext(), currentUser(c).UserID, id)
	if err != nil {
		return err
	}
	c.Attachment(d.Name)
	// Never rendered by the browser, whatever the file holds.
	c.Set(fiber.HeaderContentType, fiber.MIMEOctetStream)
	return c.SendStream(f, int(d.Size)) // fasthttp closes f
}

// documentReindexPOST queues one document for ingestion again.
func (s *Server) documentReindexPOST(c *fiber.Ctx) error {
	id, err := pathID(c, "document")
	if err != nil {
		return err
	}
	d, err := s.app.Documents.Reindex(c.UserContext(), currentUser(c).UserID, id)
	if err != nil {
		return err
	}
	return c.Status(fiber.StatusAccepted).JSON(d)
}

// documentsReindexPOST queues all the caller's documents (after a change
// of embedding model: new vectors; otherwise ingestion again).
func (s *Server) documentsReindexPOST(c *fiber.Ctx) error {
	n, err := s.app.Documents.ReindexAll(c.UserContext(), currentUser(c).UserID)
	if err != nil {
		return err
	}
	return c.Status(fiber.StatusAccepted).JSON(fiber.Map{"queued": n})
}

// documentsSearchGET searches the caller's passages.
func (s *Server) documentsSearchGET(c *fiber.Ctx) error {
	limit, err := queryInt(c, "limit", documents.DefaultLimit)
	if err != nil {
		return err
	}
	req := documents.SearchRequest{Query: c.Query("q"), Mode: c.Query("mode"), Limit: int(min(limit, documents.MaxLimit+1))}
	if c.Context().QueryArgs().Has("collection") {
		coll := c.Query("collection")
		req.Collection = &coll
	}
	res, err := s.app.Documents.Search(c.UserContext(), currentUser(c).UserID, req)
	if err != nil {
		return err
	}
	return c.JSON(fiber.Map{"results": res})
}

// uploadLimit is the body limit of POST /documents: the per-file limit
// and room for the multipart framing.
func (s *Server) uploadLimit() int64 {
	return int64(s.app.Config.Server.UploadLimitMB)<<20 + uploadSlack
}
