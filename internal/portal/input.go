package portal

import (
	"strings"
	"time"
	"unicode/utf8"
)

// What every input must be, whatever field it fills: a value both
// databases store and compare alike. PostgreSQL refuses text with NUL
// characters or invalid UTF-8 and times outside its calendar, which SQLite
// would store as given; refusing both up front makes bad input answer the
// same on either, and never reach a database as an error of its own.

// MinYear and MaxYear bound the dates and instants the server accepts:
// the four-digit years Go, PostgreSQL and SQLite's sortable text all
// agree on (there is no year 0 in PostgreSQL; past 9999, text no longer
// sorts by time).
const (
	MinYear = 1
	MaxYear = 9999
)

// CheckText refuses text that cannot be stored as given: invalid UTF-8 or
// NUL characters.
func CheckText(s string) error {
	if !utf8.ValidString(s) {
		return BadInput("text must be valid UTF-8")
	}
	if strings.IndexByte(s, 0) >= 0 {
		return BadInput("text must not contain NUL characters")
	}
	return nil
}

// CheckInstant refuses an instant whose year in UTC is outside MinYear to
// MaxYear.
func CheckInstant(t time.Time) error {
	if y := t.UTC().Year(); y < MinYear || y > MaxYear {
		return BadInput("a time must be in the years 0001 to 9999 (UTC)")
	}
	return nil
}
