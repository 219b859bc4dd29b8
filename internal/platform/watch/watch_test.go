package watch

import "testing"

// A change wakes the waiters of that key with its value and no one else, and
// a released wait leaves nothing behind.
func TestNotifyWakesOnlyTheChangedKey(t *testing.T) {
	var s Set[string]
	a1, releaseA1 := s.Wait("a")
	a2, releaseA2 := s.Wait("a")
	b, releaseB := s.Wait("b")
	s.Notify("a", "approved")
	for name, n := range map[string]*Next[string]{"first waiter of a": a1, "second waiter of a": a2} {
		select {
		case <-n.Done():
			if n.Value() != "approved" {
				t.Errorf("%s woken with %q, want the change's value", name, n.Value())
			}
		default:
			t.Errorf("%s not woken by a's change", name)
		}
	}
	select {
	case <-b.Done():
		t.Error("b's waiter woken by a's change")
	default:
	}
	releaseA1()
	releaseA2()
	releaseB()
	if s.len() != 0 {
		t.Errorf("%d keys still watched after every waiter released", s.len())
	}
	s.Notify("c", "nobody waits") // must not block or leave anything
	if s.len() != 0 {
		t.Error("a notify without waiters left a watch behind")
	}
}
