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
func decodeJSON(c *fiber.Ctx, dst any) error { return decodeJSONBytes(c.Body(), dst) }

// decodeJSONBytes is decodeJSON for a body already in hand.
func decodeJSONBytes(body []byte, dst any) error {
	if len(body) == 0 {
		return apperr.BadRequest("a JSON body is required")
	}
	if err := checkDepth(body); err != nil {
		return err
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

// maxJSONDepth is how deeply a request body may nest arrays and objects.
// Go's decoder accepts 10000 levels, SQLite's JSON functions 1000: a body
// between the two would pass decoding and fail in the database as a 500.
// No request of the API needs more than a few levels.
const maxJSONDepth = 64

// checkDepth refuses a body nested deeper than maxJSONDepth. It only counts
// brackets outside strings; whether the JSON is well formed is the
// decoder's business.
func checkDepth(body []byte) error {
	depth, inString, escaped := 0, false, false
	for _, b := range body {
		switch {
		case inString:
			switch {
			case escaped:
				escaped = false
			case b == '\\':
				escaped = true
			case b == '"':
				inString = false
			}
		case b == '"':
			inString = true
		case b == '[' || b == '{':
			if depth++; depth > maxJSONDepth {
				return apperr.BadRequest("the JSON body is nested too deeply (at most " + strconv.Itoa(maxJSONDepth) + " levels)")
			}
		case b == ']' || b == '}':
			depth--
		}
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
	if err := checkDepth(c.Body()); err != nil {
		return nil, err
	}
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
