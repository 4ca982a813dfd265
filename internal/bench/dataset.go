package main

import (
	"fmt"
	"math/rand/v2"
	"time"

	"portalgraph/internal/dataset"
	"portalgraph/internal/portal"
)

// Sizes of the benchmark data set.
const (
	benchClients      = 200
	benchBigClients   = 5   // each with bigClientProjects projects: the tail
	bigClientProjects = 100 // the other clients share the rest
	benchProjects     = 2000
	deliverablesPer   = 10 // per project: 20,000
	approvalsPer      = 2  // per deliverable: 40,000
	benchStaff        = 20
)

// benchData is the deterministic data set the benchmark runs on, with the
// principals it acts as.
type benchData struct {
	data      *portal.Dataset
	workspace *portal.Workspace
	owner     *portal.User
	// portalContacts has one ACTIVE contact per client, big clients first.
	portalContacts []*portal.Contact
	deliverables   []*portal.Deliverable
}

func buildBenchData() *benchData {
	start := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	b := dataset.New(start, 42)
	rng := rand.New(rand.NewPCG(42, 4242))
	out := &benchData{}
	out.workspace = b.Workspace("Benchmark Agency", "bench")
	staff := make([]*portal.User, benchStaff)
	for i := range staff {
		role := portal.BuiltInRoleManager
		if i == 0 {
			role = portal.BuiltInRoleOwner
		}
		staff[i] = b.User(out.workspace, fmt.Sprintf("Staff %02d", i), fmt.Sprintf("staff%02d@bench.example", i), role)
	}
	out.owner = staff[0]

	statuses := portal.AllDeliverableStatus
	outcomes := portal.AllDecisionOutcome
	// The small clients share the remaining projects as evenly as whole
	// numbers allow.
	smallProjects := benchProjects - benchBigClients*bigClientProjects
	smallClients := benchClients - benchBigClients
	for ci := range benchClients {
		c := b.Client(out.workspace, fmt.Sprintf("Client %03d", ci), staff[ci%benchStaff], portal.ClientStatusActive)
		c.PortalEnabled = true
		contacts := []*portal.Contact{
			b.Contact(c, fmt.Sprintf("Contact %03d-a", ci), fmt.Sprintf("a%03d@client.example", ci), "Director", portal.PortalStatusActive),
			b.Contact(c, fmt.Sprintf("Contact %03d-b", ci), fmt.Sprintf("b%03d@client.example", ci), "Manager", portal.PortalStatusActive),
			b.Contact(c, fmt.Sprintf("Contact %03d-c", ci), fmt.Sprintf("c%03d@client.example", ci), "", portal.PortalStatusNone),
		}
		out.portalContacts = append(out.portalContacts, contacts[0])
		projects := bigClientProjects
		if i := ci - benchBigClients; i >= 0 {
			projects = smallProjects / smallClients
			if i < smallProjects%smallClients {
				projects++
			}
		}
		for pi := range projects {
			vis := portal.VisibilityShared
			if rng.IntN(5) == 0 {
				vis = portal.VisibilityInternal
			}
			p := b.Project(c, fmt.Sprintf("Project %03d-%03d", ci, pi), portal.ProjectStatusActive, vis)
			p.BudgetCents = ptr(rng.IntN(10_000_000))
			p.StartsOn = dataset.Date(2026, time.Month(1+rng.IntN(6)), 1+rng.IntN(28))
			p.DueOn = dataset.Date(2026, time.Month(7+rng.IntN(6)), 1+rng.IntN(28))
			for di := range deliverablesPer {
				dvis := portal.VisibilityShared
				if rng.IntN(5) == 0 {
					dvis = portal.VisibilityInternal
				}
				d := b.Deliverable(p, fmt.Sprintf("Deliverable %d of %s", di+1, p.Name), statuses[rng.IntN(len(statuses))], dvis)
				d.DueOn = dataset.Date(2026, time.Month(1+rng.IntN(12)), 1+rng.IntN(28))
				out.deliverables = append(out.deliverables, d)
				for ai := range approvalsPer {
					a := b.Approval(p, d, fmt.Sprintf("Approval round %d", ai+1), portal.ApprovalPolicyAll, staff[rng.IntN(benchStaff)], contacts[0], contacts[1])
					a.Round = ai + 1
					for _, ct := range contacts[:2] {
						if rng.IntN(4) > 0 {
							b.Decision(a, ct, outcomes[rng.IntN(len(outcomes))], "Reviewed")
						}
					}
				}
			}
		}
	}
	out.data = &b.Data
	return out
}

func ptr[T any](v T) *T { return &v }
