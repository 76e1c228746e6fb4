package api

import (
	"errors"
	"fmt"
	"net/http"
	"reflect"
	"strings"
	"time"
	"unicode"

	"github.com/integrator-oss/integrator/internal/auth"
	"github.com/integrator-oss/integrator/internal/record"
	"github.com/integrator-oss/integrator/internal/review"
	"github.com/integrator-oss/integrator/internal/store"
)

// snake turns a store struct into a JSON object with snake_case keys,
// leaving out zero times; for the entity kinds without a view of their own.
func snake(v any) map[string]any {
	out := map[string]any{}
	rv := reflect.Indirect(reflect.ValueOf(v))
	rt := rv.Type()
	for i := 0; i < rt.NumField(); i++ {
		f := rt.Field(i)
		if !f.IsExported() {
			continue
		}
		fv := rv.Field(i).Interface()
		if t, ok := fv.(time.Time); ok && t.IsZero() {
			continue
		}
		out[snakeName(f.Name)] = fv
	}
	return out
}

func snakeName(s string) string {
	var b strings.Builder
	rs := []rune(s)
	for i, r := range rs {
		if unicode.IsUpper(r) {
			if i > 0 && (unicode.IsLower(rs[i-1]) || (i+1 < len(rs) && unicode.IsLower(rs[i+1]))) {
				b.WriteByte('_')
			}
			r = unicode.ToLower(r)
		}
		b.WriteRune(r)
	}
	return b.String()
}

func snakes[T any](list []T) []map[string]any {
	out := make([]map[string]any, len(list))
	for i := range list {
		out[i] = snake(list[i])
	}
	return out
}

func (s *Server) assets(r *http.Request) (any, error) {
	p, err := listParams(r)
	if err != nil {
		return nil, err
	}
	list, err := s.st.AssetList(r.Context(), p)
	if err != nil {
		return nil, err
	}
	return snakes(list), nil
}

func (s *Server) asset(r *http.Request) (any, error) {
	id, err := idParam(r)
	if err != nil {
		return nil, err
	}
	a, err := s.st.AssetGet(r.Context(), id)
	if err != nil {
		return nil, err
	}
	return s.detail(r.Context(), record.KindAsset, id, snake(a))
}

func (s *Server) contacts(r *http.Request) (any, error) {
	q := r.URL.Query()
	q.Set("role", store.RoleContact)
	r.URL.RawQuery = q.Encode()
	return s.users(r)
}

func (s *Server) licences(r *http.Request) (any, error) {
	p := &store.LicenceListParams{}
	var err error
	if p.Active, err = boolParam(r, "active"); err != nil {
		return nil, err
	}
	if p.Limit, err = limitParam(r, 100, 1000); err != nil {
		return nil, err
	}
	after, err := intParam(r, "after", 0)
	if err != nil {
		return nil, err
	}
	p.AfterID = int64(after)
	list, err := s.st.LicenceList(r.Context(), p)
	if err != nil {
		return nil, err
	}
	return snakes(list), nil
}

func (s *Server) licence(r *http.Request) (any, error) {
	id, err := idParam(r)
	if err != nil {
		return nil, err
	}
	list, err := s.st.LicenceGetMany(r.Context(), []int64{id})
	if err != nil {
		return nil, err
	}
	if len(list) == 0 {
		return nil, fmt.Errorf("licence %d: %w", id, store.ErrNotFound)
	}
	d, err := s.detail(r.Context(), record.KindLicence, id, snake(list[0]))
	if err != nil {
		return nil, err
	}
	if d.Members, err = s.st.LicenceHolders(r.Context(), id); err != nil {
		return nil, err
	}
	return d, nil
}

func (s *Server) appointments(r *http.Request) (any, error) {
	p := &store.AppointmentListParams{}
	var err error
	if p.Active, err = boolParam(r, "active"); err != nil {
		return nil, err
	}
	if p.From, err = timeParam(r, "from"); err != nil {
		return nil, err
	}
	if p.To, err = timeParam(r, "to"); err != nil {
		return nil, err
	}
	user, err := intParam(r, "user", 0)
	if err != nil {
		return nil, err
	}
	p.UserID = int64(user)
	if p.Limit, err = limitParam(r, 100, 1000); err != nil {
		return nil, err
	}
	after, err := intParam(r, "after", 0)
	if err != nil {
		return nil, err
	}
	p.AfterID = int64(after)
	list, err := s.st.AppointmentList(r.Context(), p)
	if err != nil {
		return nil, err
	}
	return snakes(list), nil
}

// decide records an operator's decision on a review item; the next run of
// the integration carries it out.
func (s *Server) decide(action string) func(*http.Request) (any, error) {
	return func(r *http.Request) (any, error) {
		id, err := idParam(r)
		if err != nil {
			return nil, err
		}
		st, ok := s.st.(store.Store)
		if !ok {
			return nil, errNoAuth
		}
		d := review.Decision{ItemID: id, Action: action, By: "operator"}
		if p := auth.From(r.Context()); p != nil {
			d.By = p.Username
			if p.Kind == store.CredentialToken {
				d.By = "API token " + p.TokenName
			}
		}
		if action == store.ReviewLinked {
			var body struct {
				EntityID int64 `json:"entity_id"`
			}
			if err := decodeBody(r, &body); err != nil {
				return nil, err
			}
			if body.EntityID <= 0 {
				return nil, badField("entity_id", "required: the platform entity to link to (one of the item's candidates)")
			}
			d.EntityID = body.EntityID
		}
		it, err := review.Decide(r.Context(), st, d)
		if errors.Is(err, review.ErrNotOpen) {
			return nil, &apiError{typ: "conflict", status: http.StatusConflict, err: err}
		}
		if err != nil {
			return nil, err
		}
		return reviewOut(*it), nil
	}
}
