package sqltest

import (
	"time"

	"portalgraph/internal/testclock"
)

// Clock is a time a test sets and moves forward (testclock.Clock).
type Clock = testclock.Clock

func NewClock(t time.Time) *Clock { return testclock.New(t) }
