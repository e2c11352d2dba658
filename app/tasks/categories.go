package tasks

import (
	"context"
	"database/sql"
	"math"
	"regexp"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/aiwfe/aiwfe/app/apperr"
	"github.com/aiwfe/aiwfe/store"
)

// Category is one of a user's task categories.
type Category = store.TaskCategory

// MaxWeight bounds a category's planning weight (0 to 10, default 1).
const MaxWeight = 10

// CategoryInput is a new category; Weight nil is 1.
type CategoryInput struct {
	Name   string   `json:"name"`
	Colour string   `json:"colour"`
	Weight *float64 `json:"weight"`
}

// CategoryPatch changes a category; nil fields stay.
type CategoryPatch struct {
	Name   *string  `json:"name"`
	Colour *string  `json:"colour"`
	Weight *float64 `json:"weight"`
}

// Categories lists the user's categories by name, with their task counts.
func (s *Service) Categories(ctx context.Context, userID int64) ([]*Category, error) {
	return store.ListTaskCategories(ctx, s.store.DB, userID)
}

// Category reads one of the user's categories.
func (s *Service) Category(ctx context.Context, userID, id int64) (*Category, error) {
	c, err := store.GetTaskCategory(ctx, s.store.DB, userID, id)
	return c, apperr.FromStore(err, "category")
}

// CreateCategory adds a category; a name the user has (in any case) is a
// conflict.
func (s *Service) CreateCategory(ctx context.Context, userID int64, in CategoryInput) (*Category, error) {
	c := &Category{UserID: userID, Weight: 1}
	if err := setCategoryFields(c, &in.Name, &in.Colour, in.Weight); err != nil {
		return nil, err
	}
	if err := store.InsertTaskCategory(ctx, s.store.DB, c, s.now()); err != nil {
		return nil, apperr.FromStore(err, "a category named "+strconv.Quote(c.Name))
	}
	return s.Category(ctx, userID, c.ID)
}

// UpdateCategory renames, recolours or reweighs one of the user's
// categories.
func (s *Service) UpdateCategory(ctx context.Context, userID, id int64, p CategoryPatch) (*Category, error) {
	err := s.store.WithTx(ctx, func(tx *sql.Tx) error {
		c, err := store.GetTaskCategory(ctx, tx, userID, id)
		if err != nil {
			return apperr.FromStore(err, "category")
		}
		if err := setCategoryFields(c, p.Name, p.Colour, p.Weight); err != nil {
			return err
		}
		return apperr.FromStore(store.UpdateTaskCategory(ctx, tx, c, s.now()), "a category named "+strconv.Quote(c.Name))
	})
	if err != nil {
		return nil, err
	}
	return s.Category(ctx, userID, id)
}

// DeleteCategory removes one of the user's categories; its tasks move to
// none, and it returns how many did.
func (s *Service) DeleteCategory(ctx context.Context, userID, id int64) (int, error) {
	var moved int
	err := s.store.WithTx(ctx, func(tx *sql.Tx) error {
		var err error
		moved, err = store.DeleteTaskCategory(ctx, tx, userID, id, s.now())
		return apperr.FromStore(err, "category")
	})
	return moved, err
}

var colourRE = regexp.MustCompile(`^#[0-9a-fA-F]{6}$`)

// c2 checks and sets the fields given (nil: unchanged).
func setCategoryFields(c *Category, name, colour *string, weight *float64) error {
	if name != nil {
		n := strings.TrimSpace(*name)
		switch {
		case n == "":
			return apperr.Invalid("name", "name must not be empty")
		case utf8.RuneCountInString(n) > MaxCategoryName:
			return apperr.Invalid("name", "name must be at most "+strconv.Itoa(MaxCategoryName)+" characters")
		case strings.ContainsFunc(n, unicode.IsControl):
			return apperr.Invalid("name", "name must be one line without control characters")
		}
		c.Name = n
	}
	if colour != nil {
		if *colour != "" && !colourRE.MatchString(*colour) {
			return apperr.Invalid("colour", "colour must be #rrggbb (or empty)")
		}
		c.Colour = strings.ToLower(*colour)
	}
	if weight != nil {
		if math.IsNaN(*weight) || *weight < 0 || *weight > MaxWeight {
			return apperr.Invalid("weight", "weight must be from 0 to "+strconv.Itoa(MaxWeight))
		}
		c.Weight = *weight
	}
	return nil
}
