package order

import "testing"

// A change wakes the waiters of that order and no one else, and a released
// watch leaves nothing behind.
func TestWatchersWakeOnlyTheChangedOrder(t *testing.T) {
	w := watchers{m: map[string]*watch{}}
	a1, releaseA1 := w.wait("a")
	a2, releaseA2 := w.wait("a")
	b, releaseB := w.wait("b")
	w.notify("a")
	for name, ch := range map[string]<-chan struct{}{"first waiter of a": a1, "second waiter of a": a2} {
		select {
		case <-ch:
		default:
			t.Errorf("%s not woken by a's change", name)
		}
	}
	select {
	case <-b:
		t.Error("b's waiter woken by a's change")
	default:
	}
	releaseA1()
	releaseA2()
	releaseB()
	if len(w.m) != 0 {
		t.Errorf("%d watches left after every waiter released", len(w.m))
	}
}
