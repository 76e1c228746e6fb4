// Package metrics exposes the integrator's Prometheus metrics: counters and
// a histogram fed by the runs this process finishes, and gauges read from
// the store at each scrape (last success, held runs, linked entities by
// state, the review queue), so that every process of a deployment reports
// the same state.
package metrics

import (
	"context"
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/integrator-oss/integrator/internal/daemon"
	"github.com/integrator-oss/integrator/internal/engine"
	"github.com/integrator-oss/integrator/internal/store"
)

// Source is what the gauges read at each scrape.
type Source interface {
	Status(ctx context.Context) ([]daemon.IntegrationStatus, error)
}

// ReviewCounter counts the review queue; the store's Reader is one.
type ReviewCounter interface {
	ReviewCount(ctx context.Context, status string) (int64, error)
}

// Metrics holds the integrator's collectors.
type Metrics struct {
	reg      *prometheus.Registry
	runs     *prometheus.CounterVec
	duration *prometheus.HistogramVec
	records  *prometheus.CounterVec
}

// New registers the collectors. reviews may be nil.
func New(src Source, reviews ReviewCounter) *Metrics {
	m := &Metrics{reg: prometheus.NewRegistry()}
	m.runs = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "integrator_runs_total",
		Help: "Runs finished by this process, by integration and result (succeeded, failed, held).",
	}, []string{"integration", "result"})
	m.duration = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name:    "integrator_run_duration_seconds",
		Help:    "Duration of the runs finished by this process.",
		Buckets: []float64{0.1, 0.5, 1, 5, 15, 60, 300, 900, 3600, 10800},
	}, []string{"integration", "mode"})
	m.records = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "integrator_records_total",
		Help: "Source records handled by the runs of this process, by integration, entity kind and action.",
	}, []string{"integration", "kind", "action"})
	m.reg.MustRegister(m.runs, m.duration, m.records,
		&stateCollector{src: src, reviews: reviews},
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

// Observe records a finished run; it fits daemon.Options.Finished.
func (m *Metrics) Observe(name string, res *engine.Result, err error) {
	if res == nil {
		m.runs.WithLabelValues(name, store.RunFailed).Inc()
		return
	}
	r := res.Run
	if r.DryRun {
		return
	}
	m.runs.WithLabelValues(name, r.Status).Inc()
	if !r.FinishedAt.IsZero() {
		m.duration.WithLabelValues(name, r.Mode).Observe(r.FinishedAt.Sub(r.StartedAt).Seconds())
	}
	for kind, c := range r.ByKind {
		for action, n := range map[string]int64{
			"created": c.Created, "updated": c.Updated, "unchanged": c.Unchanged, "deactivated": c.Deactivated,
			"reactivated": c.Reactivated, "out_of_scope": c.OutOfScope, "failed": c.Failed,
		} {
			if n > 0 {
				m.records.WithLabelValues(name, string(kind), action).Add(float64(n))
			}
		}
	}
}

// Handler serves the metrics in the Prometheus exposition format.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{})
}

var (
	descLastSuccess = prometheus.NewDesc("integrator_last_success_timestamp_seconds",
		"When the integration's last successful run finished (Unix time); absent before the first.", []string{"integration"}, nil)
	descHeld = prometheus.NewDesc("integrator_held",
		"1 when the integration's last run was held by the mass-deactivation threshold.", []string{"integration"}, nil)
	descEnabled = prometheus.NewDesc("integrator_enabled",
		"1 when the integration is enabled.", []string{"integration"}, nil)
	descEntities = prometheus.NewDesc("integrator_entities",
		"Platform users linked to the integration, by state (active, inactive).", []string{"integration", "kind", "state"}, nil)
	descReview = prometheus.NewDesc("integrator_review_queue_size",
		"Open items of the review queue (ambiguous matches awaiting an operator).", nil, nil)
	descUp = prometheus.NewDesc("integrator_state_up",
		"1 when the store answered the scrape's state queries.", nil, nil)
)

// stateCollector reads the store at scrape time.
type stateCollector struct {
	src     Source
	reviews ReviewCounter
}

func (c *stateCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{descLastSuccess, descHeld, descEnabled, descEntities, descReview, descUp} {
		ch <- d
	}
}

func (c *stateCollector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	list, err := c.src.Status(ctx)
	up := 1.0
	if err != nil {
		up = 0
	}
	for _, s := range list {
		if !s.LastSuccess.IsZero() {
			ch <- prometheus.MustNewConstMetric(descLastSuccess, prometheus.GaugeValue, float64(s.LastSuccess.UnixMilli())/1000, s.Name)
		}
		ch <- prometheus.MustNewConstMetric(descHeld, prometheus.GaugeValue, b2f(s.Held), s.Name)
		ch <- prometheus.MustNewConstMetric(descEnabled, prometheus.GaugeValue, b2f(s.Enabled), s.Name)
		ch <- prometheus.MustNewConstMetric(descEntities, prometheus.GaugeValue, float64(s.ActiveUsers), s.Name, "user", "active")
		ch <- prometheus.MustNewConstMetric(descEntities, prometheus.GaugeValue, float64(s.Inactive), s.Name, "user", "inactive")
	}
	if c.reviews != nil {
		if n, err := c.reviews.ReviewCount(ctx, store.ReviewOpen); err == nil {
			ch <- prometheus.MustNewConstMetric(descReview, prometheus.GaugeValue, float64(n))
		} else {
			up = 0
		}
	}
	ch <- prometheus.MustNewConstMetric(descUp, prometheus.GaugeValue, up)
}

func b2f(b bool) float64 {
	if b {
		return 1
	}
	return 0
}
