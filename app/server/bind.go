package server

import (
	"encoding/json"
	"errors"
	"strconv"
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/aiwfe/aiwfe/app/apperr"
)

// decodeJSON reads a JSON object body into dst strictly: an unknown field
// or a wrong type is a 400 that names the field.
func decodeJSON(c *fiber.Ctx, dst any) error {
	body := c.Body()
	if len(body) == 0 {
		return apperr.BadRequest("a JSON body is required")
	}
	dec := json.NewDecoder(strings.NewReader(string(body)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(dst); err != nil {
		return jsonError(err)
	}
	if dec.More() {
		return apperr.BadRequest("the body must hold one JSON object")
	}
	return nil
}

func jsonError(err error) error {
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) {
		field := te.Field
		if field == "" {
			return apperr.BadRequest("the body must be a JSON object")
		}
		return apperr.Invalid(field, field+" must be "+jsonKind(te.Type.Kind().String()))
	}
	if msg := err.Error(); strings.HasPrefix(msg, "json: unknown field ") {
		f, _ := strconv.Unquote(strings.TrimPrefix(msg, "json: unknown field "))
		return apperr.Invalid(f, "unknown field "+strconv.Quote(f))
	}
	return apperr.BadRequest("malformed JSON body")
}

func jsonKind(k string) string {
	switch k {
	case "string":
		return "a string"
	case "bool":
		return "true or false"
	case "int", "int64", "float64":
		return "a number"
	case "map", "struct":
		return "an object"
	}
	return "of another type"
}

// decodeObject reads a JSON object body as raw fields, for partial updates.
func decodeObject(c *fiber.Ctx) (map[string]json.RawMessage, error) {
	var m map[string]json.RawMessage
	if err := json.Unmarshal(c.Body(), &m); err != nil || m == nil {
		return nil, apperr.BadRequest("the body must be a JSON object")
	}
	return m, nil
}

// pathID parses a numeric :id; anything else is a 404 like a missing row.
func pathID(c *fiber.Ctx, what string) (int64, error) {
	id, err := strconv.ParseInt(c.Params("id"), 10, 64)
	if err != nil || id <= 0 {
		return 0, apperr.NotFound(what)
	}
	return id, nil
}

// isJSON says whether the request body is JSON (not a form).
func isJSON(c *fiber.Ctx) bool {
	ct := strings.ToLower(c.Get(fiber.HeaderContentType))
	return strings.HasPrefix(ct, "application/json") || (ct == "" && len(c.Body()) > 0 && c.Body()[0] == '{')
}
