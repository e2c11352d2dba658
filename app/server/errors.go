package server

import (
	"errors"
	"strconv"

	"github.com/gofiber/fiber/v2"

	"github.com/aiwfe/aiwfe/app/apperr"
)

// errorBody is the one JSON error shape: {"error":{"code","message"}}.
type errorBody struct {
	Error *apperr.Error `json:"error"`
}

// errorHandler turns every error a handler or fiber returns into the JSON
// shape. Causes of internal errors are logged with the request id and never
// sent to the client.
func (s *Server) errorHandler(c *fiber.Ctx, err error) error {
	var e *apperr.Error
	var fe *fiber.Error
	switch {
	case errors.As(err, &fe):
		e = apperr.New(fe.Code, apperr.CodeForStatus(fe.Code), fe.Message)
		if fe.Code == fiber.StatusNotFound {
			e.Message = "no such endpoint: " + c.Method() + " " + c.Path()
		}
	default:
		e = apperr.From(err)
	}
	if e.Status >= 500 {
		s.log.Error("request failed", "request_id", requestID(c), "method", c.Method(), "path", c.Path(), "err", err)
	}
	return writeError(c, e)
}

func writeError(c *fiber.Ctx, e *apperr.Error) error {
	if e.RetryAfter > 0 {
		secs := int(e.RetryAfter.Seconds() + 0.999)
		c.Set(fiber.HeaderRetryAfter, strconv.Itoa(secs))
	}
	return c.Status(e.Status).JSON(errorBody{Error: e})
}
