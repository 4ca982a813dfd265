package ratelimit_test

import (
	"testing"
	"time"

	"portalgraph/internal/ratelimit"
	"portalgraph/internal/ratelimit/ratelimittest"
)

func TestMemory(t *testing.T) {
	ratelimittest.Run(t, func(_ *testing.T, now func() time.Time) ratelimit.Limiter { return ratelimit.NewMemory(now) })
}
