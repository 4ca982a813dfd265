package portal

import (
	"database/sql/driver"
	"fmt"
	"io"
	"strconv"
	"time"
)

// Date is a calendar date without a time zone (the GraphQL scalar Date).
type Date struct {
	Year  int
	Month time.Month
	Day   int
}

const dateLayout = "2006-01-02"

// ParseDate reads a date written YYYY-MM-DD, in the years MinYear to
// MaxYear (the layout already allows no more than four digits).
func ParseDate(s string) (Date, error) {
	t, err := time.Parse(dateLayout, s)
	if err != nil {
		return Date{}, fmt.Errorf("%q is not a date (YYYY-MM-DD)", s)
	}
	d := DateOf(t)
	if err := d.Check(); err != nil {
		return Date{}, err
	}
	return d, nil
}

// Check refuses a date outside the years MinYear to MaxYear.
func (d Date) Check() error {
	if d.Year < MinYear || d.Year > MaxYear {
		return BadInput("%s is not a date between 0001-01-01 and 9999-12-31", d)
	}
	return nil
}

// DateOf is the calendar date of t in t's location.
func DateOf(t time.Time) Date {
	y, m, d := t.Date()
	return Date{Year: y, Month: m, Day: d}
}

func (d Date) String() string {
	var buf [16]byte
	return string(d.appendTo(buf[:0]))
}

// appendTo appends the date written YYYY-MM-DD, as String writes it,
// without fmt: a response writes a date for every record that has one.
func (d Date) appendTo(b []byte) []byte {
	b = appendPadded(b, d.Year, 4)
	b = append(b, '-')
	b = appendPadded(b, int(d.Month), 2)
	b = append(b, '-')
	return appendPadded(b, d.Day, 2)
}

// appendPadded appends n in at least width digits, as fmt's %0*d does.
func appendPadded(b []byte, n, width int) []byte {
	if n < 0 {
		b = append(b, '-')
		n, width = -n, width-1
	}
	var digits [20]byte
	s := strconv.AppendInt(digits[:0], int64(n), 10)
	for range width - len(s) {
		b = append(b, '0')
	}
	return append(b, s...)
}

// appendQuoted appends the date as a JSON string.
func (d Date) appendQuoted(b []byte) []byte {
	return append(d.appendTo(append(b, '"')), '"')
}

// Time is midnight UTC of the date.
func (d Date) Time() time.Time { return time.Date(d.Year, d.Month, d.Day, 0, 0, 0, 0, time.UTC) }

func (d Date) Before(o Date) bool { return d.Time().Before(o.Time()) }

func (d Date) AddDays(n int) Date { return DateOf(d.Time().AddDate(0, 0, n)) }

// MarshalGQL writes the date into the writer's own buffer when it has one
// (gqlgen's and the planner's do).
func (d Date) MarshalGQL(w io.Writer) {
	var b []byte
	if a, ok := w.(interface{ AvailableBuffer() []byte }); ok {
		b = a.AvailableBuffer()
	}
	_, _ = w.Write(d.appendQuoted(b))
}

// UnmarshalGQL reads a Date argument; a malformed one is bad input.
func (d *Date) UnmarshalGQL(v any) error {
	s, ok := v.(string)
	if !ok {
		return BadInput("a date must be a string written YYYY-MM-DD")
	}
	parsed, err := ParseDate(s)
	if err != nil {
		return BadInput("%s", err)
	}
	*d = parsed
	return nil
}

func (d Date) MarshalJSON() ([]byte, error) { return d.appendQuoted(make([]byte, 0, 12)), nil }

func (d *Date) UnmarshalJSON(b []byte) error {
	s, err := strconv.Unquote(string(b))
	if err != nil {
		return fmt.Errorf("a date must be a string written YYYY-MM-DD")
	}
	parsed, err := ParseDate(s)
	if err != nil {
		return err
	}
	*d = parsed
	return nil
}

// Value stores the date as YYYY-MM-DD text, which both PostgreSQL's date
// type and SQLite's text compare correctly. A date outside the years both
// store alike is refused as bad input rather than sent: PostgreSQL would
// fail on year 0 where SQLite would store it.
func (d Date) Value() (driver.Value, error) {
	if err := d.Check(); err != nil {
		return nil, err
	}
	return d.String(), nil
}

func (d *Date) Scan(src any) error {
	switch v := src.(type) {
	case time.Time:
		*d = DateOf(v.UTC())
		return nil
	case string:
		return d.scanText(v)
	case []byte:
		return d.scanText(string(v))
	default:
		return fmt.Errorf("cannot scan %T into a Date", src)
	}
}

func (d *Date) scanText(s string) error {
	if len(s) > len(dateLayout) {
		s = s[:len(dateLayout)]
	}
	parsed, err := ParseDate(s)
	if err != nil {
		return err
	}
	*d = parsed
	return nil
}
