package broker

import (
	"context"
	"log/slog"
	"sync"
	"time"

	"github.com/segmentio/kafka-go"
	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/sagaforge/saga/internal/platform/process"
)

// Sessions expires consumer group members that went silent, as Kafka does.
//
// kfake arms a member's session timer when it delivers the member a reply.
// A member killed while its JoinGroup is pending never gets that reply, so
// it never gets a timer either: once the leader syncs, the group is stable
// with the dead member in it, holding its partitions forever, and every
// event on them waits. Chaos runs hit this when a service is SIGKILLed
// moments after a restart. Real Kafka arms every member's timer when the
// join completes, delivered or not.
//
// Sessions watches the group requests that carry a member ID, and a member
// that has sent none for its session timeout plus its rebalance timeout (a
// JoinGroup may block that long) is removed with a LeaveGroup on its behalf,
// which rebalances its partitions to the living.
type Sessions struct {
	client *kafka.Client
	log    *slog.Logger

	mu      sync.Mutex
	heard   map[member]time.Time     // last request that named the member
	timeout map[string]time.Duration // per group: longest session + rebalance timeout asked for

	// Every is how often the groups are checked.
	Every time.Duration
}

type member struct{ group, id string }

// NewSessions watches cluster's group requests; it asks the broker at addr
// for the groups' members.
func NewSessions(cluster *kfake.Cluster, addr string, log *slog.Logger) *Sessions {
	s := &Sessions{
		client:  &kafka.Client{Addr: kafka.TCP(addr), Timeout: 5 * time.Second},
		log:     log,
		heard:   map[member]time.Time{},
		timeout: map[string]time.Duration{},
		Every:   time.Second,
	}
	for _, key := range []kmsg.Key{kmsg.JoinGroup, kmsg.SyncGroup, kmsg.Heartbeat, kmsg.OffsetCommit, kmsg.LeaveGroup} {
		cluster.ControlKey(int16(key), func(req kmsg.Request) (kmsg.Response, error, bool) {
			s.observe(req)
			return nil, nil, false // observed only: the cluster handles it
		})
	}
	return s
}

func (s *Sessions) observe(req kmsg.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := time.Now()
	switch r := req.(type) {
	case *kmsg.JoinGroupRequest:
		limit := time.Duration(r.SessionTimeoutMillis+r.RebalanceTimeoutMillis) * time.Millisecond
		s.timeout[r.Group] = max(s.timeout[r.Group], limit)
		s.heard[member{r.Group, r.MemberID}] = now
	case *kmsg.SyncGroupRequest:
		s.heard[member{r.Group, r.MemberID}] = now
	case *kmsg.HeartbeatRequest:
		s.heard[member{r.Group, r.MemberID}] = now
	case *kmsg.OffsetCommitRequest:
		s.heard[member{r.Group, r.MemberID}] = now
	case *kmsg.LeaveGroupRequest:
		delete(s.heard, member{r.Group, r.MemberID})
		for _, m := range r.Members {
			delete(s.heard, member{r.Group, m.MemberID})
		}
	}
}

// Run checks the groups every s.Every until ctx is done.
func (s *Sessions) Run(ctx context.Context) {
	process.Every(ctx, s.Every, func() { s.Expire(ctx) })
}

// Expire removes the members that have been silent too long, and returns
// how many it removed.
func (s *Sessions) Expire(ctx context.Context) int {
	groups, err := s.client.ListGroups(ctx, &kafka.ListGroupsRequest{})
	if err != nil || len(groups.Groups) == 0 {
		return 0
	}
	ids := make([]string, 0, len(groups.Groups))
	for _, g := range groups.Groups {
		ids = append(ids, g.GroupID)
	}
	desc, err := s.client.DescribeGroups(ctx, &kafka.DescribeGroupsRequest{GroupIDs: ids})
	if err != nil {
		return 0
	}
	removed := 0
	now := time.Now()
	for _, g := range desc.Groups {
		var silent []kafka.LeaveGroupRequestMember
		s.mu.Lock()
		limit := s.timeout[g.GroupID]
		alive := map[member]bool{}
		for _, m := range g.Members {
			key := member{g.GroupID, m.MemberID}
			alive[key] = true
			last, ok := s.heard[key]
			if !ok {
				// First seen here (its join carried no ID yet): its
				// session starts now.
				s.heard[key] = now
				continue
			}
			if limit > 0 && now.Sub(last) > limit {
				silent = append(silent, kafka.LeaveGroupRequestMember{ID: m.MemberID})
			}
		}
		for key := range s.heard {
			if key.group == g.GroupID && !alive[key] {
				delete(s.heard, key) // gone from the group: forget it
			}
		}
		s.mu.Unlock()
		if len(silent) == 0 {
			continue
		}
		resp, err := s.client.LeaveGroup(ctx, &kafka.LeaveGroupRequest{GroupID: g.GroupID, Members: silent})
		if err != nil {
			s.log.Warn("expire silent group members failed", "group", g.GroupID, "err", err)
			continue
		}
		for i, m := range silent {
			if i < len(resp.Members) && resp.Members[i].Error != nil {
				continue
			}
			removed++
			s.log.Info("expired a silent group member; its partitions go to the others",
				"group", g.GroupID, "member", m.ID, "silent_for", now.Sub(s.lastHeard(g.GroupID, m.ID)).Round(time.Millisecond))
		}
	}
	return removed
}

func (s *Sessions) lastHeard(group, id string) time.Time {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.heard[member{group, id}]
}
