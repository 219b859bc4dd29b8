package kafkaio

import "testing"

func TestDedupeForgetsOnlyTheOldest(t *testing.T) {
	d := NewDedupe(2)
	if !d.First("a") || !d.First("b") || d.First("a") {
		t.Fatal("a repeat within the window must be caught")
	}
	d.First("c") // pushes out a
	if d.First("b") || !d.First("a") {
		t.Fatal("the window must keep the newest IDs")
	}
}
