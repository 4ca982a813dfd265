package sqlstore

import (
	"reflect"
	"time"

	"portalgraph/internal/portal"
)

// checkArgument refuses, as bad input, a value PostgreSQL would refuse and
// SQLite store as given: text with NUL characters or invalid UTF-8, or a
// time outside the years 0001 to 9999 (dates refuse themselves, in
// portal.Date.Value). The API refuses such input first, naming the field;
// this is the last line, at the one place every argument of every
// statement passes, so that whatever slips past answers alike on both
// databases instead of failing on one.
func checkArgument(v any) error {
	switch v := v.(type) {
	case string:
		return portal.CheckText(v)
	case *string:
		if v != nil {
			return portal.CheckText(*v)
		}
	case time.Time:
		return portal.CheckInstant(v)
	case *time.Time:
		if v != nil {
			return portal.CheckInstant(*v)
		}
	case textArray: // batches of IDs (dialect.inList)
		return checkTexts(v)
	case jsonList:
		return checkTexts(v)
	default:
		// Enums, and any other type whose values are text.
		if rv := reflect.ValueOf(v); rv.Kind() == reflect.String {
			return portal.CheckText(rv.String())
		}
	}
	return nil
}

func checkTexts(list []string) error {
	for _, s := range list {
		if err := portal.CheckText(s); err != nil {
			return err
		}
	}
	return nil
}
