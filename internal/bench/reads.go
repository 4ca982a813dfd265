package main

import (
	"context"
	"sync/atomic"

	"portalgraph/internal/audit"
	"portalgraph/internal/portal"
)

// measuredAudit is the audit both servers record portal contacts' and
// partners' reads to, as the binary's server does: an audit.Recorder,
// flushed every 2 s. It records only while a window is measured, and the
// window's end writes what is left, so that each run pays for gathering
// and writing its own reads, not the warm-up's or another run's.
type measuredAudit struct {
	recorder *audit.Recorder
	on       atomic.Bool
	off      bool // -without-audit: never records
}

func (a *measuredAudit) Viewed(p portal.Principal, rt portal.RecordType, recordID string) {
	if a.on.Load() {
		a.recorder.Viewed(p, rt, recordID)
	}
}

func (a *measuredAudit) Read(p portal.Principal, operation string, rt portal.RecordType, clientID string, ids []string) {
	if a.on.Load() {
		a.recorder.Read(p, operation, rt, clientID, ids)
	}
}

func (a *measuredAudit) Seen(p portal.Principal) {
	if a.on.Load() {
		a.recorder.Seen(p)
	}
}

// record starts recording, as a measured window opens.
func (a *measuredAudit) record() { a.on.Store(!a.off) }

// write stops recording and writes what was gathered, before the window
// closes.
func (a *measuredAudit) write(ctx context.Context) {
	a.on.Store(false)
	a.recorder.Flush(ctx)
}
