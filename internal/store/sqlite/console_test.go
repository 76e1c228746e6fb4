package sqlite

import (
	"testing"

	"github.com/integrator-oss/integrator/internal/store"
	"github.com/integrator-oss/integrator/internal/store/storetest"
)

func TestConsoleConformance(t *testing.T) {
	t.Parallel()
	storetest.RunConsoleTests(t, func(t *testing.T) store.Store {
		s, _ := openTemp(t)
		return s
	})
}

func TestLinkListConformance(t *testing.T) {
	t.Parallel()
	storetest.RunLinkListTests(t, func(t *testing.T) store.Store {
		s, _ := openTemp(t)
		return s
	})
}
