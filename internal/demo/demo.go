// Package demo describes the demo workspace a new server starts with: an
// agency with clients at every stage, portals on and off, shared and
// internal work, approvals in flight and requests from clients.
package demo

import (
	"time"

	"portalgraph/internal/auth"
	"portalgraph/internal/dataset"
	"portalgraph/internal/portal"
)

// The demo workspace and the accounts seed prints tokens for.
const (
	Slug        = "demo"
	OwnerEmail  = "maya@brightline.example"
	PortalEmail = "dana@acme-outdoor.example"
	// Password signs in the demo's owner and its portal contact.
	Password = "brightline-demo"
)

// New builds the demo workspace with records dated from start.
func New(start time.Time) *portal.Dataset {
	b := dataset.New(start, 2026)
	ws := b.Workspace("Brightline Agency", Slug)
	maya := b.User(ws, "Maya Chen", OwnerEmail, portal.BuiltInRoleOwner)
	maya.PasswordHash = dataset.Text(auth.HashPassword(Password))
	jonas := b.User(ws, "Jonas Weber", "jonas@brightline.example", portal.BuiltInRoleManager)
	priya := b.User(ws, "Priya Nair", "priya@brightline.example", portal.BuiltInRoleMember)
	b.User(ws, "Sam Ortiz", "sam@brightline.example", portal.BuiltInRoleViewer)

	// Acme: the flagship client, portal on, work in review.
	acme := b.Client(ws, "Acme Outdoor Co.", jonas, portal.ClientStatusActive)
	acme.Organization = dataset.Text("Acme Outdoor Holdings")
	acme.Email = dataset.Text("hello@acme-outdoor.example")
	acme.Phone = dataset.Text("+1 503 555 0142")
	acme.Website = dataset.Text("https://acme-outdoor.example")
	acme.AddressLine1, acme.City, acme.Region, acme.PostalCode, acme.Country =
		dataset.Text("410 NW Glisan St"), dataset.Text("Portland"), dataset.Text("OR"), dataset.Text("97209"), dataset.Text("US")
	acme.PortalEnabled = true
	acme.PortalExports = true
	acme.InternalNotes = dataset.Text("Renewal due in March; procurement wants a 5% discount.")
	dana := b.Contact(acme, "Dana Fields", PortalEmail, "Marketing Director", portal.PortalStatusActive)
	dana.PasswordHash = dataset.Text(auth.HashPassword(Password))
	lee := b.Contact(acme, "Lee Park", "lee@acme-outdoor.example", "Brand Manager", portal.PortalStatusActive)
	b.Contact(acme, "Chris Wu", "chris@acme-outdoor.example", "CFO", portal.PortalStatusNone)

	spring := b.Project(acme, "Spring Campaign 2027", portal.ProjectStatusActive, portal.VisibilityShared)
	spring.Description = dataset.Text("Launch campaign for the spring hiking line: video, social and paid media.")
	spring.StartsOn, spring.DueOn = dataset.Date(2027, 1, 11), dataset.Date(2027, 4, 30)
	spring.BudgetCents = intPtr(4_800_000)
	spring.InternalNotes = dataset.Text("Margin is thin; watch contractor hours.")
	storyboard := b.Deliverable(spring, "Hero video storyboard", portal.DeliverableStatusInReview, portal.VisibilityShared)
	storyboard.DueOn = dataset.Date(2027, 2, 5)
	calendar := b.Deliverable(spring, "Social media calendar", portal.DeliverableStatusApproved, portal.VisibilityShared)
	calendar.DueOn = dataset.Date(2027, 1, 29)
	b.Deliverable(spring, "Media buy plan", portal.DeliverableStatusInProgress, portal.VisibilityInternal)

	web := b.Project(acme, "Website Redesign", portal.ProjectStatusActive, portal.VisibilityShared)
	web.StartsOn, web.DueOn = dataset.Date(2026, 11, 2), dataset.Date(2027, 3, 15)
	web.BudgetCents = intPtr(9_500_000)
	wireframes := b.Deliverable(web, "Homepage wireframes", portal.DeliverableStatusChangesRequested, portal.VisibilityShared)
	b.Deliverable(web, "Design system", portal.DeliverableStatusInProgress, portal.VisibilityShared)

	retainer := b.Project(acme, "Retainer planning 2027", portal.ProjectStatusPlanned, portal.VisibilityInternal)
	b.Deliverable(retainer, "Staffing plan", portal.DeliverableStatusNotStarted, portal.VisibilityShared)

	a1 := b.Approval(spring, storyboard, "Approve the hero video storyboard", portal.ApprovalPolicyAll, jonas, dana, lee)
	a1.Message = dataset.Text("Please review frames 1–24 before we book the shoot.")
	a1.DueOn = dataset.Date(2027, 2, 3)
	b.Decision(a1, dana, portal.DecisionOutcomeApproved, "Looks great.")

	a2 := b.Approval(spring, calendar, "Approve the January social calendar", portal.ApprovalPolicyAny, priya, dana)
	b.Decision(a2, dana, portal.DecisionOutcomeApproved, "")
	b.Resolve(a2, portal.ApprovalStatusApproved)

	a3 := b.Approval(web, wireframes, "Homepage wireframes, round 1", portal.ApprovalPolicyAny, jonas, dana)
	b.Decision(a3, dana, portal.DecisionOutcomeChangesRequested, "The logo needs more room, and move the search up.")
	b.Resolve(a3, portal.ApprovalStatusChangesRequested)

	// Reports: December's is published and in Dana's portal; January's
	// on the spring campaign is a draft only staff see.
	december := b.Report(acme, nil, jonas, "December 2026 performance", *dataset.Date(2026, 12, 1), *dataset.Date(2026, 12, 31), portal.ReportStatusPublished,
		&portal.ReportMetric{Name: "Website sessions", Value: 48210},
		&portal.ReportMetric{Name: "Conversion rate", Value: 2.4, Unit: dataset.Text("%")},
		&portal.ReportMetric{Name: "Newsletter sign-ups", Value: 1320})
	december.Summary = dataset.Text("Holiday traffic beat the forecast; the new product pages convert better than the old ones.")
	december.Body = dataset.Text("## Highlights\n\n- Sessions up 18% on November, led by organic search.\n" +
		"- The gift guide drove a third of all sign-ups.\n\n## Next month\n\nWe start the spring campaign's teaser posts.")
	january := b.Report(acme, spring, jonas, "Spring campaign: January progress", *dataset.Date(2027, 1, 1), *dataset.Date(2027, 1, 31), portal.ReportStatusDraft,
		&portal.ReportMetric{Name: "Storyboard frames approved", Value: 24},
		&portal.ReportMetric{Name: "Social posts scheduled", Value: 36})
	january.Summary = dataset.Text("Storyboard approved by Dana; Lee's review pending before the shoot.")

	// Requests Acme's contacts opened in the portal, one being worked on
	// (with a reply and a comment for staff only) and one waiting.
	spanish := b.Request(dana, spring, "Spanish version of the storyboard",
		"Our Madrid team would like the storyboard in Spanish before the shoot.", portal.ClientRequestStatusInProgress)
	b.Assign(spanish, priya)
	b.Comment(spanish, priya, nil, "We are translating it now; you will have it by Friday.", false)
	b.Comment(spanish, jonas, nil, "Translation is not in the budget; check with Maya before promising more languages.", true)
	photo := b.Request(lee, web, "New team photo on the About page", "The photo is from 2023; we will send a new one next week.", portal.ClientRequestStatusOpen)

	// Files: the brief the client sent, the storyboard in two versions
	// (the second still a draft for staff), the photo attached to Lee's
	// request, and the agency's internal estimate.
	b.File(acme, spring, nil, nil, "Campaign brief.pdf", demoPDF("Spring Campaign 2027 - brief"), portal.VisibilityShared, nil, dana)
	board := b.File(acme, spring, storyboard, nil, "Storyboard v1.pdf", demoPDF("Hero video storyboard, first cut"), portal.VisibilityShared, priya, nil)
	b.NewVersion(board, "Storyboard v2.pdf", demoPDF("Hero video storyboard, second cut (draft)"), portal.VisibilityInternal, priya)
	b.File(acme, nil, nil, photo, "team-photo.png", demoPNG, portal.VisibilityShared, nil, lee)
	b.File(acme, nil, nil, nil, "Estimate 2027.pdf", demoPDF("Estimate 2027 - internal"), portal.VisibilityInternal, jonas, nil)
	// Dana's export of the last months' approvals: the server's export workers
	// build it as soon as it runs.
	b.QueuedExport(acme, dana, portal.ExportKindApprovals, portal.DateOf(start.AddDate(0, -6, 0)), portal.DateOf(start.AddDate(0, 0, 30)))

	b.Note(acme, nil, jonas, "Dana prefers a short weekly summary over long calls.")
	b.Note(acme, spring, maya, "Budget may grow by 10% in Q2 if the pilot converts.")
	b.Activity(acme, jonas, portal.ActivityActionCreated, portal.RecordTypeClient, acme.ID, "Created client "+acme.Name)

	// Globex: portal on, one shared project.
	globex := b.Client(ws, "Globex Health", maya, portal.ClientStatusActive)
	globex.PortalEnabled = true
	globex.Email = dataset.Text("projects@globex-health.example")
	ravi := b.Contact(globex, "Ravi Patel", "ravi@globex-health.example", "Head of Digital", portal.PortalStatusActive)
	onboarding := b.Project(globex, "Patient app onboarding", portal.ProjectStatusActive, portal.VisibilityShared)
	flows := b.Deliverable(onboarding, "Onboarding flow prototypes", portal.DeliverableStatusInReview, portal.VisibilityShared)
	b.Approval(onboarding, flows, "Approve the onboarding prototypes", portal.ApprovalPolicyAny, maya, ravi)
	faq := b.Request(ravi, nil, "FAQ section for the app", "Patients keep asking the same questions; could the app answer them?", portal.ClientRequestStatusDone)
	b.Comment(faq, maya, nil, "Added to the onboarding flow: see the latest prototype.", false)

	// Initech: a lead, no portal yet.
	initech := b.Client(ws, "Initech", jonas, portal.ClientStatusLead)
	b.Contact(initech, "Bill Lumbergh", "bill@initech.example", "VP Operations", portal.PortalStatusNone)
	b.Project(initech, "Discovery workshop", portal.ProjectStatusPlanned, portal.VisibilityInternal)
	b.Note(initech, nil, jonas, "Decision expected after their budget review.")

	// Soylent: a former client, archived.
	b.Client(ws, "Soylent Foods", maya, portal.ClientStatusArchived)

	return &b.Data
}

func intPtr(n int) *int { return &n }

// demoPDF is a small PDF-looking file: enough for the type to be sniffed
// and the download to be opened.
func demoPDF(title string) []byte {
	return []byte("%PDF-1.4\n% " + title + "\n%%EOF\n")
}

// demoPNG is a 1x1 transparent PNG.
var demoPNG = []byte("\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4\x89" +
	"\x00\x00\x00\rIDATx\x9cc\xf8\x0f\x00\x00\x01\x01\x00\x05\x18\xd8N\x00\x00\x00\x00IEND\xaeB`\x82")
