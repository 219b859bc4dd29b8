// Package watch lets a goroutine wait for the next change of one key (an
// order ID) that another goroutine of the same process commits, and hands it
// the value the change left. It wakes only that key's waiters.
package watch

import "sync"

// Set holds the waiters of every key. The zero value is ready to use.
type Set[T any] struct {
	mu sync.Mutex
	m  map[string]*Next[T]
}

// Next is a key's next change.
type Next[T any] struct {
	done    chan struct{}
	value   T
	waiting int
}

// Done is closed when the change happens.
func (n *Next[T]) Done() <-chan struct{} { return n.done }

// Value is what the change left; read it only once Done is closed.
func (n *Next[T]) Value() T { return n.value }

// Wait returns key's next change, and a release to call once done with it.
// Wait before reading the state the change would alter, or a change between
// the read and the wait is missed.
func (s *Set[T]) Wait(key string) (*Next[T], func()) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.m == nil {
		s.m = map[string]*Next[T]{}
	}
	n := s.m[key]
	if n == nil {
		n = &Next[T]{done: make(chan struct{})}
		s.m[key] = n
	}
	n.waiting++
	return n, func() {
		s.mu.Lock()
		defer s.mu.Unlock()
		if n.waiting--; n.waiting == 0 && s.m[key] == n {
			delete(s.m, key)
		}
	}
}

// Notify wakes key's waiters with value.
func (s *Set[T]) Notify(key string, value T) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if n := s.m[key]; n != nil {
		n.value = value
		close(n.done)
		delete(s.m, key)
	}
}

// len is how many keys have waiters (for tests).
func (s *Set[T]) len() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.m)
}
