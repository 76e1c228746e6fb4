package api

import (
	"encoding/csv"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"time"
)

// auditExport streams the audit trail matching the filters, page by page,
// as CSV or JSON lines; memory stays at one page whatever the range.
func (s *Server) auditExport(w http.ResponseWriter, r *http.Request) {
	p, err := s.auditParams(r)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	format := r.URL.Query().Get("format")
	switch format {
	case "", "csv":
		format = "csv"
		w.Header().Set("Content-Type", "text/csv; charset=utf-8")
	case "jsonl":
		w.Header().Set("Content-Type", "application/jsonl")
	default:
		s.writeError(w, r, badField("format", "must be csv or jsonl, not %q", format))
		return
	}
	w.Header().Set("Content-Disposition", fmt.Sprintf(`attachment; filename="integrator-audit-%s.%s"`, time.Now().UTC().Format("20060102T150405Z"), format))
	cw := csv.NewWriter(w)
	enc := json.NewEncoder(w)
	if format == "csv" {
		cw.Write([]string{"id", "at", "run_id", "integration_id", "kind", "entity_id", "action", "reason", "changes"})
	}
	p.Limit = 5000
	for {
		page, err := s.st.AuditList(r.Context(), p)
		if err != nil {
			// Headers are gone: end the body with the error, so it does not
			// pass for a complete export.
			s.logger.Error("exporting audit trail", "err", err)
			fmt.Fprintf(w, "\nexport failed: %v\n", err)
			return
		}
		for _, e := range page {
			if format == "csv" {
				cw.Write([]string{strconv.FormatInt(e.ID, 10), e.At.UTC().Format(time.RFC3339Nano), strconv.FormatInt(e.RunID, 10),
					strconv.FormatInt(e.IntegrationID, 10), string(e.Kind), strconv.FormatInt(e.EntityID, 10), e.Action, e.Reason, string(e.Changes)})
			} else {
				enc.Encode(auditOut(e))
			}
		}
		cw.Flush()
		if len(page) < p.Limit {
			return
		}
		p.AfterID = page[len(page)-1].ID
	}
}
