package reach_test

import (
	"encoding/json"
	"testing"

	"github.com/kubectl-netaudit/kubectl-netaudit/pkg/reach"
)

// ports reads a set as String prints it, so tests state sets as a report
// shows them.
func ports(t *testing.T, text string) reach.PortSet {
	t.Helper()
	s, err := reach.ParsePortSet(text)
	if err != nil {
		t.Fatal(err)
	}
	if s.String() != text {
		t.Fatalf("ParsePortSet(%q).String(): got %q, want the text back", text, s)
	}
	return s
}

func TestPortSetAlgebra(t *testing.T) {
	tests := []struct {
		name                       string
		a, b                       string
		union, intersect, subtract string
	}{
		{"disjoint", "TCP:80", "TCP:443", "TCP:80,443", "none", "TCP:80"},
		{"adjacent ranges merge", "TCP:80-89", "TCP:90-99", "TCP:80-99", "none", "TCP:80-89"},
		{"overlap", "TCP:80-100", "TCP:90-110", "TCP:80-110", "TCP:90-100", "TCP:80-89"},
		{"protocols stay apart", "TCP:53", "UDP:53", "TCP:53 UDP:53", "none", "TCP:53"},
		{"last TCP port and first UDP port do not merge", "TCP:65535", "UDP:1", "TCP:65535 UDP:1", "none", "TCP:65535"},
		{"all", "all", "TCP:80 SCTP:9", "all", "TCP:80 SCTP:9", "TCP:1-79,81-65535 UDP:1-65535 SCTP:1-8,10-65535"},
		{"empty", "none", "UDP:53", "UDP:53", "none", "none"},
		{"hole", "TCP:1-65535", "TCP:100-200", "TCP:1-65535", "TCP:100-200", "TCP:1-99,201-65535"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a, b := ports(t, tt.a), ports(t, tt.b)
			if got := a.Union(b).String(); got != tt.union {
				t.Errorf("union: got %s, want %s", got, tt.union)
			}
			if got := b.Union(a).String(); got != tt.union {
				t.Errorf("union (swapped): got %s, want %s", got, tt.union)
			}
			if got := a.Intersect(b).String(); got != tt.intersect {
				t.Errorf("intersect: got %s, want %s", got, tt.intersect)
			}
			if got := a.Subtract(b).String(); got != tt.subtract {
				t.Errorf("subtract: got %s, want %s", got, tt.subtract)
			}
		})
	}
}

func TestPortSetQueries(t *testing.T) {
	s := reach.PortsOf(reach.TCP, reach.PortRange{From: 443, To: 445}, reach.PortRange{From: 80, To: 80}).Union(reach.PortsOf(reach.UDP, reach.PortRange{From: 53, To: 53}))
	tests := []struct {
		name  string
		proto reach.Protocol
		port  int32
		want  bool
	}{
		{"single port", reach.TCP, 80, true},
		{"range start", reach.TCP, 443, true},
		{"range end", reach.TCP, 445, true},
		{"after range", reach.TCP, 446, false},
		{"other protocol", reach.SCTP, 80, false},
		{"udp", reach.UDP, 53, true},
		{"port 0 is never a port", reach.TCP, 0, false},
		{"beyond 65535", reach.TCP, 65536, false},
		{"unknown protocol", reach.Protocol("ICMP"), 80, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := s.Contains(tt.proto, tt.port); got != tt.want {
				t.Errorf("Contains(%s, %d) on %s: got %v, want %v", tt.proto, tt.port, s, got, tt.want)
			}
		})
	}
	if got, want := s.String(), "TCP:80,443-445 UDP:53"; got != want {
		t.Errorf("String: got %q, want %q", got, want)
	}
	if got := s.Protocols(); len(got) != 2 || got[0] != reach.TCP || got[1] != reach.UDP {
		t.Errorf("Protocols: got %v, want [TCP UDP]", got)
	}
	if got := s.Ranges(reach.TCP); len(got) != 2 || got[1] != (reach.PortRange{From: 443, To: 445}) {
		t.Errorf("Ranges(TCP): got %v, want [80 443-445]", got)
	}
	if !reach.AllPorts().IsAll() || s.IsAll() || s.IsEmpty() || !(reach.PortSet{}).IsEmpty() {
		t.Errorf("IsAll/IsEmpty disagree with the sets")
	}
	if got := reach.PortsOf(reach.TCP, reach.PortRange{From: 0, To: 70000}); !got.Equal(reach.AllPortsOf(reach.TCP)) {
		t.Errorf("PortsOf clips to 1-65535: got %s", got)
	}
}

func TestPortSetJSON(t *testing.T) {
	tests := []struct {
		name string
		set  reach.PortSet
		want string
	}{
		// One shape for every set: every port is the full range per protocol.
		{"all", reach.AllPorts(), `{"TCP":["1-65535"],"UDP":["1-65535"],"SCTP":["1-65535"]}`},
		{"all of TCP", reach.AllPortsOf(reach.TCP), `{"TCP":["1-65535"]}`},
		{"empty", reach.PortSet{}, `{}`},
		{"protocol order is fixed", reach.PortsOf(reach.UDP, reach.PortRange{From: 53, To: 53}).Union(reach.PortsOf(reach.TCP, reach.PortRange{From: 80, To: 80}, reach.PortRange{From: 443, To: 445})),
			`{"TCP":["80","443-445"],"UDP":["53"]}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, err := json.Marshal(tt.set)
			if err != nil {
				t.Fatal(err)
			}
			if string(out) != tt.want {
				t.Errorf("got %s, want %s", out, tt.want)
			}
			var back reach.PortSet
			if err := json.Unmarshal(out, &back); err != nil {
				t.Fatal(err)
			}
			if !back.Equal(tt.set) {
				t.Errorf("round trip: got %s, want %s", back, tt.set)
			}
		})
	}
	// Files written before still read: "all" is every port.
	var old reach.PortSet
	if err := json.Unmarshal([]byte(`"all"`), &old); err != nil || !old.Equal(reach.AllPorts()) {
		t.Errorf(`Unmarshal("all"): got %s, %v; want every port`, old, err)
	}
	for _, bad := range []string{`"some"`, `{"ICMP":["1"]}`, `{"TCP":["0"]}`, `{"TCP":["90-80"]}`, `[1]`} {
		var s reach.PortSet
		if err := json.Unmarshal([]byte(bad), &s); err == nil {
			t.Errorf("Unmarshal(%s): got %s, want an error", bad, s)
		}
	}
}

func TestParseProtocol(t *testing.T) {
	for _, tt := range []struct {
		in   string
		want reach.Protocol
		ok   bool
	}{{"tcp", reach.TCP, true}, {"UDP", reach.UDP, true}, {"Sctp", reach.SCTP, true}, {"icmp", "", false}, {"", "", false}} {
		got, err := reach.ParseProtocol(tt.in)
		if got != tt.want || (err == nil) != tt.ok {
			t.Errorf("ParseProtocol(%q): got %q, %v; want %q, ok=%v", tt.in, got, err, tt.want, tt.ok)
		}
	}
}
