package ruleeval

import "testing"

func TestHolds(t *testing.T) {
	cases := []struct {
		it    Item
		value string
		st    State
		want  bool
	}{
		{Item{Method: Over, Degree: 30}, "30.5", State{}, true},
		{Item{Method: Over, Degree: 30}, "30", State{}, false},
		{Item{Method: Under, Degree: 0}, "-1", State{}, true},
		{Item{Method: Under, Degree: 0}, "x", State{}, false},
		{Item{Method: Range, Min: 1, Max: 5}, " 5 ", State{}, true},
		{Item{Method: Range, Min: 1, Max: 5}, "5.01", State{}, false},
		{Item{Method: Changed}, "1", State{Value: "1"}, false},                             // no previous value
		{Item{Method: Changed}, "1", State{Value: "1", Prev: "1.0", HasPrev: true}, false}, // same number
		{Item{Method: Changed, HasFrom: true, From: "0"}, "1", State{Prev: "0", HasPrev: true}, true},
		{Item{Method: Changed, HasFrom: true, From: "0"}, "1", State{Prev: "2", HasPrev: true}, false},
		{Item{Method: Changed, HasTo: true, To: "1"}, "1.0", State{Prev: "0", HasPrev: true}, true},
		{Item{Method: "between"}, "1", State{}, false},
	}
	for i, c := range cases {
		if got := c.it.Holds(c.value, c.st); got != c.want {
			t.Errorf("case %d: %s on %q = %v, want %v", i, c.it.Describe(), c.value, got, c.want)
		}
	}
}

func TestReplayConditionsAndOrder(t *testing.T) {
	// fire when a goes over 0, but only while b is under 5 (or c is exactly 1)
	r := Rule{
		Trigger: Item{Method: Over, Sensors: []string{"a"}},
		Conds: [][]Item{
			{{Method: Under, Degree: 5, Sensors: []string{"b"}}},
			{{Method: Range, Min: 1, Max: 1, Sensors: []string{"c"}}},
		},
	}
	pts := []Point{
		{"a", 10, "1"}, // b never seen: no group holds
		{"b", 20, "3"},
		{"a", 30, "2"}, // fires
		{"b", 40, "9"},
		{"a", 50, "3"}, // b too high
		{"c", 60, "1"},
		{"a", 70, "0"}, // trigger does not hold
		{"a", 80, "4"}, // fires through c
	}
	got := Replay(r, []string{"a"}, pts)
	if len(got) != 2 || got[0].Time != 30 || got[1].Time != 80 {
		t.Fatalf("firings %+v, want at 30 and 80", got)
	}
}
