package sqlstore

import (
	"fmt"

	"github.com/leadscore/leadscore"
)

func notFound(kind, id string) error {
	return &leadscore.Error{Code: leadscore.CodeNotFound, Message: fmt.Sprintf("%s %q not found", kind, id)}
}

func conflict(format string, args ...any) error {
	return leadscore.Errorf(leadscore.CodeConflict, format, args...)
}

func invalid(field, format string, args ...any) error {
	return leadscore.Invalid(field, format, args...)
}

// required reports the first empty value among name/value pairs.
func required(pairs ...string) error {
	for i := 0; i+1 < len(pairs); i += 2 {
		if pairs[i+1] == "" {
			return invalid(pairs[i], "is required")
		}
	}
	return nil
}
