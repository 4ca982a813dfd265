package telemetry

import (
	"context"
	"database/sql"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"

	"portalgraph/internal/sqlstore"
)

// Queues counts the background work waiting in the database
// (sqlstore.Store.QueueDepths).
type Queues interface {
	QueueDepths(ctx context.Context) (sqlstore.QueueDepths, error)
}

// WatchPool reports, at every scrape, a connection pool's statistics:
// go_sql_* with db_name the name given (the dialect).
func (t *Telemetry) WatchPool(db *sql.DB, name string) {
	t.Registry.MustRegister(collectors.NewDBStatsCollector(db, name))
}

// WatchQueues reports, at every scrape, the depths of the export queue and
// the mail outbox.
func (t *Telemetry) WatchQueues(queues Queues, log *slog.Logger) {
	t.Registry.MustRegister(newQueueCollector(queues, log))
}

// queueCollector asks the store for the queues' depths when scraped: two
// counting statements the queues' indexes answer, under a short timeout so
// a slow database never holds a scrape up. An answer is reused for a few
// seconds, so however often /metrics is asked, the database is asked at
// most that often. When the store cannot answer, the depths are left out
// (and the error logged and counted) rather than reported as zero.
type queueCollector struct {
	queues  Queues
	log     *slog.Logger
	timeout time.Duration
	reuse   time.Duration
	now     func() time.Time

	exports, mail *prometheus.Desc
	errors        prometheus.Counter

	mu     sync.Mutex
	last   sqlstore.QueueDepths
	lastAt time.Time
}

func newQueueCollector(queues Queues, log *slog.Logger) *queueCollector {
	return &queueCollector{
		queues: queues, log: log, timeout: 2 * time.Second, reuse: 5 * time.Second, now: time.Now,
		exports: prometheus.NewDesc("portalgraph_export_jobs", "Export jobs not finished, by status: queued (waiting, or released for another attempt) and running.", []string{"status"}, nil),
		mail:    prometheus.NewDesc("portalgraph_mail_outbox_messages", "Mail not sent, by state: pending (to be sent or retried) and failed (every attempt failed; not retried).", []string{"state"}, nil),
		errors: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "portalgraph_queue_depth_errors_total",
			Help: "Scrapes at which the queues' depths could not be read from the database.",
		}),
	}
}

func (c *queueCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- c.exports
	ch <- c.mail
	c.errors.Describe(ch)
}

func (c *queueCollector) Collect(ch chan<- prometheus.Metric) {
	if d, ok := c.depths(); ok {
		for status, n := range d.Exports {
			ch <- prometheus.MustNewConstMetric(c.exports, prometheus.GaugeValue, float64(n), strings.ToLower(status))
		}
		ch <- prometheus.MustNewConstMetric(c.mail, prometheus.GaugeValue, float64(d.MailPending), "pending")
		ch <- prometheus.MustNewConstMetric(c.mail, prometheus.GaugeValue, float64(d.MailFailed), "failed")
	}
	c.errors.Collect(ch)
}

// depths are the queues' depths as of at most reuse ago.
func (c *queueCollector) depths() (sqlstore.QueueDepths, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.lastAt.IsZero() && c.now().Sub(c.lastAt) < c.reuse {
		return c.last, true
	}
	ctx, cancel := context.WithTimeout(context.Background(), c.timeout)
	defer cancel()
	d, err := c.queues.QueueDepths(ctx)
	if err != nil {
		c.errors.Inc()
		c.log.Warn("metrics: the queues' depths could not be read", "error", err)
		return d, false
	}
	c.last, c.lastAt = d, c.now()
	return d, true
}
