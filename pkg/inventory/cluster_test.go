package inventory

import (
	"context"
	"strings"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// A server that repeats a continue token would make paging loop forever:
// listAll stops with an error instead.
func TestListAllDetectsARepeatedContinueToken(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	calls := 0
	err := listAll(ctx, 10, func(_ context.Context, lo metav1.ListOptions) (string, error) {
		calls++
		if lo.Continue == "" {
			return "a", nil
		}
		return map[string]string{"a": "b", "b": "a"}[lo.Continue], nil
	})
	if err == nil || !strings.Contains(err.Error(), "same continue token twice") {
		t.Fatalf("got %v after %d pages, want the repeated-token error", err, calls)
	}
	if calls != 3 {
		t.Errorf("got %d pages, want 3 (a, b, then a again)", calls)
	}
}
