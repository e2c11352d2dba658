package chat

import (
	"fmt"
	"math"
	"sort"
	"strings"

	"github.com/aiwfe/aiwfe/app/apperr"
)

// optionRange bounds one model option a client may set. Everything else is
// refused: options reach the model server as they are, and some (a huge
// num_ctx, say) would let one user exhaust the machine's memory.
type optionRange struct{ min, max float64 }

var allowedOptions = map[string]optionRange{
	"temperature":    {0, 2},
	"top_p":          {0, 1},
	"top_k":          {0, 1000},
	"min_p":          {0, 1},
	"seed":           {math.MinInt32, math.MaxInt32},
	"num_predict":    {-1, 32768},
	"num_ctx":        {256, 131072},
	"repeat_penalty": {0, 5},
	"repeat_last_n":  {-1, 4096},
	"stop":           {}, // a list of at most 8 short strings
}

// CheckOptions validates the model options of a request and returns them
// (nil stays nil).
func CheckOptions(opts map[string]any) (map[string]any, error) {
	if len(opts) == 0 {
		return nil, nil
	}
	out := make(map[string]any, len(opts))
	for k, v := range opts {
		r, ok := allowedOptions[k]
		if !ok {
			names := make([]string, 0, len(allowedOptions))
			for n := range allowedOptions {
				names = append(names, n)
			}
			sort.Strings(names)
			return nil, apperr.Invalid("options", fmt.Sprintf("unknown option %q; allowed: %s", k, strings.Join(names, ", ")))
		}
		if k == "stop" {
			list, ok := v.([]any)
			if !ok || len(list) > 8 {
				return nil, apperr.Invalid("options", "stop must be a list of at most 8 strings")
			}
			for _, s := range list {
				if str, ok := s.(string); !ok || len(str) > 64 {
					return nil, apperr.Invalid("options", "stop must be a list of strings of at most 64 characters")
				}
			}
			out[k] = list
			continue
		}
		n, ok := v.(float64)
		if !ok {
			if i, isInt := v.(int); isInt {
				n, ok = float64(i), true
			}
		}
		if !ok || math.IsNaN(n) || n < r.min || n > r.max {
			return nil, apperr.Invalid("options", fmt.Sprintf("%s must be a number from %g to %g", k, r.min, r.max))
		}
		out[k] = v
	}
	return out, nil
}
