package sqlstore

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/jmoiron/sqlx"

	"portalgraph/internal/portal"
)

// Row-level authorization. Each visibility rule is written once, here, as a
// named SQL condition; every read of the store composes the rules of the
// principal that asks — lists, lookups by ID, loader batches and counts
// alike. A record's rules include its parent's (a shared deliverable of an
// internal project is invisible), through an EXISTS on the parent row.

// rule is one named condition on a record, written against a table alias.
type rule struct {
	name string
	cond func(q *sqlBuf, alias string)
	// onClient, when set, is the whole rule: a condition on the portal
	// contact's client row, which does not depend on the record. A
	// statement checks all such conditions of its rule set in one EXISTS
	// on that row (clientChecks), planned and run once, rather than one
	// subquery each; unmet still evaluates, and names, each alone.
	onClient *clientCheck
}

// clientCheck is a condition on the row of one client, aliased pc.
type clientCheck struct{ workspaceID, clientID, cond string }

// clientRule is the rule that the contact's client row meets cond.
func (sc scope) clientRule(name, cond string) rule {
	cc := &clientCheck{sc.p.WorkspaceID, sc.p.ClientID, cond}
	return rule{name: name, onClient: cc, cond: func(q *sqlBuf, _ string) { clientChecks(q, cc) }}
}

// sameRow is the row a check is on.
func (cc *clientCheck) sameRow() *[2]string { return &[2]string{cc.workspaceID, cc.clientID} }

// clientChecks writes one EXISTS on the client row of the checks, which
// all name the same client.
func clientChecks(q *sqlBuf, checks ...*clientCheck) {
	q.sql("EXISTS (SELECT 1 FROM clients pc WHERE pc.workspace_id = ").arg(checks[0].workspaceID).
		sql(" AND pc.id = ").arg(checks[0].clientID)
	for _, cc := range checks {
		q.sql(" AND " + cc.cond)
	}
	q.sql(")")
}

// ruleSet is everything a principal's view of one kind of record requires.
type ruleSet struct {
	rules   []rule
	parents []parentRule
}

// parentRule requires the parent record, found through a foreign key
// column, to be visible as well. An optional parent is required only when
// the record has one.
type parentRule struct {
	table    string
	fk       string
	optional bool
	rules    ruleSet
}

// write appends the rule set's conditions to a WHERE clause.
func (rs ruleSet) write(c *conds, alias string) {
	var onClient []*clientCheck
	for _, r := range rs.rules {
		if r.onClient != nil && (len(onClient) == 0 || *r.onClient.sameRow() == *onClient[0].sameRow()) {
			onClient = append(onClient, r.onClient)
			continue
		}
		q := c.next()
		q.sql("(")
		r.cond(q, alias)
		q.sql(")")
	}
	if len(onClient) > 0 {
		q := c.next()
		q.sql("(")
		clientChecks(q, onClient...)
		q.sql(")")
	}
	for i, p := range rs.parents {
		pa := fmt.Sprintf("%sp%d", alias, i)
		q := c.next()
		if p.optional {
			q.sql("(" + alias + "." + p.fk + " IS NULL OR ")
		}
		q.sql("EXISTS (SELECT 1 FROM " + p.table + " " + pa +
			" WHERE " + pa + ".workspace_id = " + alias + ".workspace_id AND " + pa + ".id = " + alias + "." + p.fk)
		inner := &conds{q: q, count: 1}
		p.rules.write(inner, pa)
		q.sql(")")
		if p.optional {
			q.sql(")")
		}
	}
}

// writeUnder appends the conditions of a read of the records under some
// parents: the record's fk is one of ids, and the rule set holds. The
// parent's visibility, when the set requires it through fk, is checked once
// per listed parent rather than once per row: the parents the principal
// sees are found first, among ids, and the rows are read under those only.
// A batch of children under many parents then costs one check per parent,
// however many children each has. The two forms admit the same rows: a row
// is visible when its own rules hold and its parent is visible, and both
// the row's rules and the parent's keep to the principal's workspace.
func (rs ruleSet) writeUnder(c *conds, d dialect, alias, fk string, ids []string) {
	i := slices.IndexFunc(rs.parents, func(p parentRule) bool { return p.fk == fk })
	if i < 0 {
		d.inList(c.next(), alias+"."+fk, ids)
		rs.write(c, alias)
		return
	}
	// An optional parent is present on every row under one.
	parent := rs.parents[i]
	d.inSubquery(c.next(), alias+"."+fk, func(q *sqlBuf) {
		pa := alias + "v"
		q.sql("SELECT " + pa + ".id FROM " + parent.table + " " + pa)
		w := q.where()
		d.inList(w.next(), pa+".id", ids)
		parent.rules.write(w, pa)
	})
	rest := ruleSet{rules: rs.rules, parents: slices.Delete(slices.Clone(rs.parents), i, i+1)}
	rest.write(c, alias)
}

// unmet evaluates a rule set on one record of table, rule by rule, and
// names the rules the record does not meet (a parent's rules count as one,
// named after the parent); none when the principal sees the record. Each
// rule is written exactly as a read writes it, so the answer is the reads'
// own, and the names explain it: "why can't this contact see X?". A record
// that does not exist is NOT_FOUND.
func (rs ruleSet) unmet(ctx context.Context, db queryer, table, workspaceID, id string) ([]string, error) {
	var names []string
	parts := make([]ruleSet, 0, len(rs.rules)+len(rs.parents))
	for _, r := range rs.rules {
		names = append(names, r.name)
		parts = append(parts, ruleSet{rules: []rule{r}})
	}
	for _, p := range rs.parents {
		names = append(names, "the "+strings.TrimSuffix(p.fk, "_id")+" it belongs to is visible")
		parts = append(parts, ruleSet{parents: []parentRule{p}})
	}
	if len(parts) == 0 {
		return nil, nil
	}
	q := &sqlBuf{}
	q.sql("SELECT ")
	for i, part := range parts {
		if i > 0 {
			q.sql(", ")
		}
		q.sql("CASE WHEN ")
		part.write(&conds{q: q}, "a")
		q.sql(" THEN 1 ELSE 0 END")
	}
	inWorkspace := "a.workspace_id"
	if table == "workspaces" {
		inWorkspace = "a.id" // a workspace is in itself
	}
	q.sql(" FROM " + table + " a WHERE " + inWorkspace + " = ").arg(workspaceID).sql(" AND a.id = ").arg(id)
	rows, err := db.QueryxContext(ctx, db.Rebind(q.String()), q.args...)
	if err != nil {
		return nil, fmt.Errorf("evaluate %s rules: %w", table, err)
	}
	defer rows.Close()
	if !rows.Next() {
		if err := rows.Err(); err != nil {
			return nil, fmt.Errorf("evaluate %s rules: %w", table, err)
		}
		return nil, portal.NotFound(id)
	}
	met := make([]int, len(parts))
	dest := make([]any, len(parts))
	for i := range met {
		dest[i] = &met[i]
	}
	if err := rows.Scan(dest...); err != nil {
		return nil, fmt.Errorf("evaluate %s rules: %w", table, err)
	}
	var out []string
	for i, m := range met {
		if m != 1 {
			out = append(out, names[i])
		}
	}
	return out, nil
}

// scope builds the rule sets of one principal.
type scope struct{ p portal.Principal }

func (sc scope) inWorkspace() rule { return workspaceRule(sc.p.WorkspaceID) }

func workspaceRule(workspaceID string) rule {
	return rule{name: "in the principal's workspace", cond: func(q *sqlBuf, a string) {
		q.sql(a + ".workspace_id = ").arg(workspaceID)
	}}
}

// inWorkspace is the rule set of a record looked up within a workspace,
// whoever asks: writes that read what they change, and mail.
func inWorkspace(workspaceID string) ruleSet {
	return ruleSet{rules: []rule{workspaceRule(workspaceID)}}
}

// nobody is the rule of records an audience never sees.
func nobody(audience portal.Audience) ruleSet {
	return ruleSet{rules: []rule{{name: "not shown to " + string(audience), cond: func(q *sqlBuf, _ string) { q.sql("1 = 0") }}}}
}

// staffViews are the rules of a staff member's reads of a kind of record
// (records is its permissions' prefix, such as "PROJECTS"): the
// principal's workspace, and that their role grants viewing them. A role
// without the view reads empty lists, NOT_FOUND by ID and zero counts.
func (sc scope) staffViews(records string) []rule {
	perm := portal.PermissionTo(portal.ActionView, records)
	return []rule{sc.inWorkspace(), constant("role grants "+strings.ToLower(string(perm)), sc.p.Can(perm))}
}

// constant is a rule that does not depend on the row: a fact of the
// request, written as a condition so that it is evaluated, and explained,
// as every other rule is.
func constant(name string, holds bool) rule {
	return rule{name: name, cond: func(q *sqlBuf, _ string) {
		if holds {
			q.sql("1 = 1")
		} else {
			q.sql("1 = 0")
		}
	}}
}

// feature is what every read of a feature's records requires, whoever
// asks: the feature's module is installed on this server, and the
// workspace's plan or one of its add-ons includes the feature. Both are
// read with the principal, so a change of plan counts from the next
// request, and relations to a disabled feature's records are empty.
func (sc scope) feature(k portal.FeatureKey) []rule {
	name := strings.ToLower(strings.ReplaceAll(string(k), "_", " "))
	return []rule{
		constant(name+" module installed", !sc.p.NotInstalled.Has(k)),
		constant(name+" included in the workspace's plan or add-ons", !sc.p.NotInPlan.Has(k)),
	}
}

// gated adds a feature's rules to a rule set of its records, for everyone
// who may read some.
func (sc scope) gated(k portal.FeatureKey, rs ruleSet) ruleSet {
	switch sc.p.Audience {
	case portal.AudienceStaff, portal.AudiencePortal, portal.AudiencePartner:
		rs.rules = slices.Concat(rs.rules[:1:1], sc.feature(k), rs.rules[1:])
	}
	return rs
}

// portalOpen is what every portal read requires: the contact's access is
// ACTIVE, and their client exists, is not archived and has its portal
// enabled. Neither depends on the row, so the database evaluates each once
// per statement. Authentication refuses such a contact already; these keep
// any other way of acting as a contact (a preview, a job) just as closed.
//
// A preview is staff seeing the portal as the contact will: it needs the
// contact to exist, not their access, which staff may not have granted yet.
func (sc scope) portalOpen() []rule {
	contact := rule{name: "contact's portal access active", cond: func(q *sqlBuf, _ string) {
		q.sql("EXISTS (SELECT 1 FROM contacts pa WHERE pa.workspace_id = ").arg(sc.p.WorkspaceID).
			sql(" AND pa.id = ").arg(sc.p.ContactID).
			sql(" AND pa.portal_status = 'ACTIVE')")
	}}
	if sc.p.Preview {
		contact = rule{name: "previewed contact exists", cond: func(q *sqlBuf, _ string) {
			q.sql("EXISTS (SELECT 1 FROM contacts pa WHERE pa.workspace_id = ").arg(sc.p.WorkspaceID).
				sql(" AND pa.id = ").arg(sc.p.ContactID).sql(")")
		}}
	}
	return append(sc.feature(portal.FeatureKeyClientPortals),
		contact,
		sc.clientRule("client portal enabled", "pc.portal_enabled = TRUE AND pc.archived_at IS NULL"))
}

// portalRules are the rules of a portal read: the portal is open, plus the
// record's own.
func (sc scope) portalRules(own ...rule) []rule {
	return append(append([]rule{sc.inWorkspace()}, sc.portalOpen()...), own...)
}

// sectionShown: the client's portal settings show a section.
func (sc scope) sectionShown(section string) rule {
	return sc.clientRule(section+" section shown in the portal", "pc.portal_"+section+" = TRUE")
}

// ownClient: the record belongs to the contact's client.
func (sc scope) ownClient(column string) rule {
	return rule{name: "belongs to the contact's client", cond: func(q *sqlBuf, a string) {
		q.sql(a + "." + column + " = ").arg(sc.p.ClientID)
	}}
}

func shared(what string) rule {
	return rule{name: what + " shared with the client", cond: func(q *sqlBuf, a string) {
		q.sql(a + ".visibility = 'SHARED'")
	}}
}

// Partners' keys. A key reads the sections it was given, of the clients it
// is restricted to (every client when none), and only records whose
// visibility is SHARED unless it reads INTERNAL ones too. A section needs
// the sections above it, as a hidden portal section hides what is under
// it: a key's records are read with their parents.

// keyActive is what every partner read requires: the key is not revoked.
// Authentication refuses a revoked key already; this keeps any other way
// of acting as the key just as closed. It does not depend on the row, so
// the database evaluates it once per statement.
func (sc scope) keyActive() rule {
	return rule{name: "partner key not revoked", cond: func(q *sqlBuf, _ string) {
		q.sql("EXISTS (SELECT 1 FROM partner_keys pk WHERE pk.workspace_id = ").arg(sc.p.WorkspaceID).
			sql(" AND pk.id = ").arg(sc.p.Grant().KeyID).sql(" AND pk.revoked_at IS NULL)")
	}}
}

// keyReads: the key reads the sections (a constant of the request).
func (sc scope) keyReads(sections ...portal.PartnerScope) rule {
	names := make([]string, len(sections))
	granted := true
	for i, sec := range sections {
		names[i] = strings.ToLower(string(sec))
		granted = granted && sc.p.Reads(sec)
	}
	return constant("partner key reads "+strings.Join(names, ", "), granted)
}

// keyClient: the record's client (column) is one the key is restricted
// to, when it is restricted.
func (sc scope) keyClient(column string) rule {
	return rule{name: "belongs to a client of the partner key", cond: func(q *sqlBuf, a string) {
		if len(sc.p.Grant().ClientIDs) == 0 {
			q.sql(a + "." + column + " IS NOT NULL")
			return
		}
		q.sql(a + "." + column + " IN (")
		for i, id := range sc.p.Grant().ClientIDs {
			if i > 0 {
				q.sql(", ")
			}
			q.arg(id)
		}
		q.sql(")")
	}}
}

// partnerRules are the rules of a partner read: the key is active and
// reads the sections, plus the record's own.
func (sc scope) partnerRules(sections []portal.PartnerScope, own ...rule) []rule {
	return slices.Concat([]rule{sc.inWorkspace()}, sc.feature(portal.FeatureKeyPartnerAPI), []rule{sc.keyActive(), sc.keyReads(sections...)}, own)
}

// keyShared is shared(what) unless the key reads internal records too.
func (sc scope) keyShared(what string) []rule {
	if sc.p.Grant().IncludeInternal {
		return nil
	}
	return []rule{shared(what)}
}

var (
	clientsSection      = []portal.PartnerScope{portal.PartnerScopeClients}
	projectsSection     = []portal.PartnerScope{portal.PartnerScopeClients, portal.PartnerScopeProjects}
	deliverablesSection = []portal.PartnerScope{portal.PartnerScopeClients, portal.PartnerScopeProjects, portal.PartnerScopeDeliverables}
	approvalsSection    = []portal.PartnerScope{portal.PartnerScopeClients, portal.PartnerScopeProjects, portal.PartnerScopeDeliverables, portal.PartnerScopeApprovals}
)

// keyShownChain: a deliverable (an approval, a decision) and everything
// above it are SHARED and of one of the key's clients, which is what
// portal_client_id records.
func (sc scope) keyShownChain() rule {
	return rule{name: "shared with its client, with everything above it, of a client of the partner key", cond: func(q *sqlBuf, a string) {
		sc.keyClient("portal_client_id").cond(q, a)
	}}
}

func (sc scope) workspaces() ruleSet {
	switch sc.p.Audience {
	case portal.AudienceStaff, portal.AudiencePortal, portal.AudiencePartner:
		own := rule{name: "the principal's workspace", cond: func(q *sqlBuf, a string) {
			q.sql(a + ".id = ").arg(sc.p.WorkspaceID)
		}}
		switch {
		case sc.p.IsPortal():
			return ruleSet{rules: append([]rule{own}, sc.portalOpen()...)}
		case sc.p.IsPartner():
			return ruleSet{rules: append(append([]rule{own}, sc.feature(portal.FeatureKeyPartnerAPI)...), sc.keyActive())}
		}
		return ruleSet{rules: []rule{own}}
	}
	return nobody(sc.p.Audience)
}

func (sc scope) clients() ruleSet {
	switch sc.p.Audience {
	case portal.AudienceStaff:
		return ruleSet{rules: sc.staffViews("CLIENTS")}
	case portal.AudiencePortal:
		return ruleSet{rules: sc.portalRules(sc.ownClient("id"))}
	case portal.AudiencePartner:
		return ruleSet{rules: sc.partnerRules(clientsSection, sc.keyClient("id"))}
	}
	return nobody(sc.p.Audience)
}

// Deleted records. A soft-deleted record (deleted_at, migration 0014) and
// an erased contact (erased_at) are hidden from everyone who asks, staff
// included, by one more rule in their rule sets: every read composes it,
// so lists, lookups, relations, counts, dashboards, exports, activity's
// records, subscriptions and the access explanation all leave them out.
// What a deletion took along is marked too, so no read depends on the
// parent's rule to hide it; portal_client_id is left as it was, the rule
// alone hides the row.

// notDeleted adds to a record's rule set, whatever the audience, that the record
// is not deleted (column: deleted_at) or not erased (erased_at).
func notDeleted(what, column string, rs ruleSet) ruleSet {
	verb := " not deleted"
	if column == "erased_at" {
		verb = " not erased"
	}
	rs.rules = append(slices.Clip(rs.rules), rule{name: what + verb, cond: func(q *sqlBuf, a string) {
		q.sql(a + "." + column + " IS NULL")
	}})
	return rs
}

func (sc scope) contacts() ruleSet { return notDeleted("contact", "erased_at", sc.contactsOwn()) }

func (sc scope) contactsOwn() ruleSet {
	switch sc.p.Audience {
	case portal.AudienceStaff:
		return ruleSet{rules: sc.staffViews("CONTACTS")}
	case portal.AudiencePortal:
		return ruleSet{rules: sc.portalRules(sc.ownClient("client_id"))}
	case portal.AudiencePartner:
		return ruleSet{rules: sc.partnerRules(clientsSection, sc.keyClient("client_id"))}
	}
	return nobody(sc.p.Audience)
}

func (sc scope) projects() ruleSet { return notDeleted("project", "deleted_at", sc.projectsOwn()) }

func (sc scope) projectsOwn() ruleSet {
	switch sc.p.Audience {
	case portal.AudienceStaff:
		return ruleSet{rules: sc.staffViews("PROJECTS")}
	case portal.AudiencePortal:
		return ruleSet{rules: sc.portalRules(sc.ownClient("client_id"), sc.sectionShown("projects"), shared("project"))}
	case portal.AudiencePartner:
		return ruleSet{rules: sc.partnerRules(projectsSection, append([]rule{sc.keyClient("client_id")}, sc.keyShared("project")...)...)}
	}
	return nobody(sc.p.Audience)
}

// shownToClient: the deliverable (the approval's, the decision's) and its
// project are SHARED and the project is the contact's client's: what
// portal_client_id records, so the row alone answers for the chain above
// it.
func (sc scope) shownToClient() rule {
	return rule{name: "shared with the contact's client, with everything above it", cond: func(q *sqlBuf, a string) {
		q.sql(a + ".portal_client_id = ").arg(sc.p.ClientID)
	}}
}

func (sc scope) deliverables() ruleSet {
	return notDeleted("deliverable", "deleted_at", sc.deliverablesOwn())
}

func (sc scope) deliverablesOwn() ruleSet {
	switch sc.p.Audience {
	case portal.AudienceStaff:
		return ruleSet{rules: sc.staffViews("DELIVERABLES")}
	case portal.AudiencePortal:
		return ruleSet{rules: sc.portalRules(sc.shownToClient(), sc.sectionShown("deliverables"), sc.sectionShown("projects"))}
	case portal.AudiencePartner:
		if !sc.p.Grant().IncludeInternal {
			return ruleSet{rules: sc.partnerRules(deliverablesSection, sc.keyShownChain())}
		}
		return ruleSet{
			rules:   sc.partnerRules(deliverablesSection),
			parents: []parentRule{{table: "projects", fk: "project_id", rules: sc.projects()}},
		}
	}
	return nobody(sc.p.Audience)
}

func (sc scope) approvals() ruleSet {
	return notDeleted("approval", "deleted_at", sc.gated(portal.FeatureKeyApprovals, sc.approvalsOwn()))
}

func (sc scope) approvalsOwn() ruleSet {
	switch sc.p.Audience {
	case portal.AudienceStaff:
		return ruleSet{rules: sc.staffViews("APPROVALS")}
	case portal.AudiencePortal:
		return ruleSet{rules: sc.portalRules(sc.ownClient("client_id"), sc.shownToClient(),
			sc.sectionShown("approvals"), sc.sectionShown("deliverables"), sc.sectionShown("projects"))}
	case portal.AudiencePartner:
		// An approval's client is its project's: with internal records
		// read too, the client is all there is to check above it.
		own := sc.keyClient("client_id")
		if !sc.p.Grant().IncludeInternal {
			own = sc.keyShownChain()
		}
		return ruleSet{rules: sc.partnerRules(approvalsSection, own)}
	}
	return nobody(sc.p.Audience)
}

func (sc scope) decisions() ruleSet {
	return notDeleted("decision", "deleted_at", sc.gated(portal.FeatureKeyApprovals, sc.decisionsOwn()))
}

func (sc scope) decisionsOwn() ruleSet {
	switch sc.p.Audience {
	case portal.AudienceStaff:
		return ruleSet{rules: sc.staffViews("APPROVALS")}
	case portal.AudiencePortal:
		// portal_client_id stands for the approval's own rules too: it is
		// its client's, the only client an approval is asked of.
		return ruleSet{rules: sc.portalRules(sc.shownToClient(),
			sc.sectionShown("approvals"), sc.sectionShown("deliverables"), sc.sectionShown("projects"))}
	case portal.AudiencePartner:
		if !sc.p.Grant().IncludeInternal {
			return ruleSet{rules: sc.partnerRules(approvalsSection, sc.keyShownChain())}
		}
		return ruleSet{
			rules:   sc.partnerRules(approvalsSection),
			parents: []parentRule{{table: "approvals", fk: "approval_id", rules: sc.approvals()}},
		}
	}
	return nobody(sc.p.Audience)
}

// users: a portal contact sees the staff members who own their client or
// one of the projects they see: their account managers; and those who
// wrote a comment they see, so a reply to their request has its author.
// A partner's key sees the same of the clients, projects and comments it
// reads.
func (sc scope) users() ruleSet {
	switch sc.p.Audience {
	case portal.AudienceStaff:
		return ruleSet{rules: []rule{sc.inWorkspace()}}
	case portal.AudiencePortal, portal.AudiencePartner:
		return ruleSet{rules: []rule{sc.inWorkspace(), {name: "owns a client or a project the principal sees, or wrote a comment it sees", cond: func(q *sqlBuf, a string) {
			q.sql("EXISTS (SELECT 1 FROM clients uc WHERE uc.workspace_id = " + a + ".workspace_id AND uc.owner_id = " + a + ".id")
			sc.clients().write(&conds{q: q, count: 1}, "uc")
			q.sql(") OR EXISTS (SELECT 1 FROM projects up WHERE up.workspace_id = " + a + ".workspace_id AND up.owner_id = " + a + ".id")
			sc.projects().write(&conds{q: q, count: 1}, "up")
			q.sql(") OR EXISTS (SELECT 1 FROM request_comments uq WHERE uq.workspace_id = " + a + ".workspace_id AND uq.author_user = " + a + ".id")
			sc.comments().write(&conds{q: q, count: 1}, "uq")
			q.sql(")")
		}}}}
	}
	return nobody(sc.p.Audience)
}

// files: a portal contact sees their client's shared files when the
// files section is shown, and only files whose project, deliverable or
// request they see too; and the CSV of each export they see.
func (sc scope) files() ruleSet {
	return notDeleted("file", "deleted_at", sc.gated(portal.FeatureKeyFiles, sc.filesOwn()))
}

func (sc scope) filesOwn() ruleSet {
	switch sc.p.Audience {
	case portal.AudienceStaff:
		return ruleSet{rules: sc.staffViews("FILES")}
	case portal.AudiencePortal:
		sharedFile := rule{name: "shared file in the files section, or the CSV of an export the contact sees", cond: func(q *sqlBuf, a string) {
			q.sql("(" + a + ".export_id IS NULL AND ")
			shared("file").cond(q, a)
			q.sql(" AND ")
			sc.sectionShown("files").cond(q, a)
			q.sql(") OR EXISTS (SELECT 1 FROM exports ax WHERE ax.workspace_id = " + a + ".workspace_id AND ax.id = " + a + ".export_id")
			sc.exports().write(&conds{q: q, count: 1}, "ax")
			q.sql(")")
		}}
		return ruleSet{
			rules: sc.portalRules(sc.ownClient("client_id"), sharedFile),
			parents: []parentRule{
				{table: "projects", fk: "project_id", optional: true, rules: sc.projects()},
				{table: "deliverables", fk: "deliverable_id", optional: true, rules: sc.deliverables()},
				{table: "client_requests", fk: "request_id", optional: true, rules: sc.requests()},
			},
		}
	case portal.AudiencePartner:
		notExport := rule{name: "not the CSV of an export", cond: func(q *sqlBuf, a string) { q.sql(a + ".export_id IS NULL") }}
		return ruleSet{
			rules: sc.partnerRules([]portal.PartnerScope{portal.PartnerScopeClients, portal.PartnerScopeFiles},
				append([]rule{sc.keyClient("client_id"), notExport}, sc.keyShared("file")...)...),
			parents: []parentRule{
				{table: "projects", fk: "project_id", optional: true, rules: sc.projects()},
				{table: "deliverables", fk: "deliverable_id", optional: true, rules: sc.deliverables()},
				{table: "client_requests", fk: "request_id", optional: true, rules: sc.requests()},
			},
		}
	}
	return nobody(sc.p.Audience)
}

// reports: a portal contact sees their client's published reports when the
// reports section is shown, and a project's only if they see the project.
func (sc scope) reports() ruleSet {
	return notDeleted("report", "deleted_at", sc.gated(portal.FeatureKeyReports, sc.reportsOwn()))
}

func (sc scope) reportsOwn() ruleSet {
	switch sc.p.Audience {
	case portal.AudienceStaff:
		return ruleSet{rules: sc.staffViews("REPORTS")}
	case portal.AudiencePortal:
		return ruleSet{
			rules: sc.portalRules(sc.ownClient("client_id"), sc.sectionShown("reports"), rule{name: "report published", cond: func(q *sqlBuf, a string) {
				q.sql(a + ".status = 'PUBLISHED'")
			}}),
			parents: []parentRule{{table: "projects", fk: "project_id", optional: true, rules: sc.projects()}},
		}
	case portal.AudiencePartner:
		return ruleSet{
			rules: sc.partnerRules([]portal.PartnerScope{portal.PartnerScopeClients, portal.PartnerScopeReports}, sc.keyClient("client_id"), rule{name: "report published", cond: func(q *sqlBuf, a string) {
				q.sql(a + ".status = 'PUBLISHED'")
			}}),
			parents: []parentRule{{table: "projects", fk: "project_id", optional: true, rules: sc.projects()}},
		}
	}
	return nobody(sc.p.Audience)
}

// exports: a portal contact sees the exports their client's contacts asked
// for, when the exports section is shown; staff exports may hold what the
// portal does not show. Partners' keys read no exports.
func (sc scope) exports() ruleSet { return sc.gated(portal.FeatureKeyExports, sc.exportsOwn()) }

func (sc scope) exportsOwn() ruleSet {
	switch sc.p.Audience {
	case portal.AudienceStaff:
		return ruleSet{rules: sc.staffViews("EXPORTS")}
	case portal.AudiencePortal:
		return ruleSet{rules: sc.portalRules(sc.ownClient("client_id"), sc.sectionShown("exports"), rule{name: "asked for through the portal", cond: func(q *sqlBuf, a string) {
			q.sql(a + ".requested_by_contact IS NOT NULL")
		}})}
	}
	return nobody(sc.p.Audience)
}

// requests: a portal contact sees their client's requests when the
// requests section is shown.
func (sc scope) requests() ruleSet {
	return notDeleted("request", "deleted_at", sc.gated(portal.FeatureKeyRequests, sc.requestsOwn()))
}

func (sc scope) requestsOwn() ruleSet {
	switch sc.p.Audience {
	case portal.AudienceStaff:
		return ruleSet{rules: sc.staffViews("REQUESTS")}
	case portal.AudiencePortal:
		return ruleSet{rules: sc.portalRules(sc.ownClient("client_id"), sc.sectionShown("requests"))}
	case portal.AudiencePartner:
		return ruleSet{rules: sc.partnerRules([]portal.PartnerScope{portal.PartnerScopeClients, portal.PartnerScopeRequests}, sc.keyClient("client_id"))}
	}
	return nobody(sc.p.Audience)
}

// comments: a request's comments are seen with the request, internal ones
// by staff only.
func (sc scope) comments() ruleSet {
	return notDeleted("comment", "deleted_at", sc.gated(portal.FeatureKeyRequests, sc.commentsOwn()))
}

func (sc scope) commentsOwn() ruleSet {
	switch sc.p.Audience {
	case portal.AudienceStaff:
		return ruleSet{rules: sc.staffViews("COMMENTS")}
	case portal.AudiencePortal, portal.AudiencePartner:
		return ruleSet{
			rules: []rule{sc.inWorkspace(), {name: "not an internal comment", cond: func(q *sqlBuf, a string) {
				q.sql(a + ".internal = FALSE")
			}}},
			parents: []parentRule{{table: "client_requests", fk: "request_id", rules: sc.requests()}},
		}
	}
	return nobody(sc.p.Audience)
}

// notes are internal: staff only.
func (sc scope) notes() ruleSet {
	if sc.p.IsStaff() {
		return ruleSet{rules: sc.staffViews("NOTES")}
	}
	return nobody(sc.p.Audience)
}

// activity: staff see their workspace's. A partner's key with the
// ACTIVITY section sees the events of records it sees itself: the event's
// record, by its type, under that type's own rule set, so its clients,
// sections and internal records hold for activity as for the records.
// Events of any other record type (users, notes, keys, the workspace) and
// staff's previews of the portal are staff's.
func (sc scope) activity() ruleSet {
	switch sc.p.Audience {
	case portal.AudienceStaff:
		return ruleSet{rules: []rule{sc.inWorkspace()}}
	case portal.AudiencePartner:
		return ruleSet{rules: sc.partnerRules([]portal.PartnerScope{portal.PartnerScopeClients, portal.PartnerScopeActivity}, sc.recordSeen(),
			rule{name: "not staff previewing the portal", cond: func(q *sqlBuf, a string) {
				q.sql(a + ".preview = FALSE AND " + a + ".action <> '" + string(portal.ActivityActionPortalPreviewed) + "'")
			}})}
	}
	return nobody(sc.p.Audience)
}

// recordSeen requires an activity event's record to be one the principal
// sees.
func (sc scope) recordSeen() rule {
	kinds := []struct {
		rt    portal.RecordType
		table string
		rules ruleSet
	}{
		{portal.RecordTypeClient, "clients", sc.clients()},
		{portal.RecordTypeContact, "contacts", sc.contacts()},
		{portal.RecordTypeProject, "projects", sc.projects()},
		{portal.RecordTypeDeliverable, "deliverables", sc.deliverables()},
		{portal.RecordTypeApproval, "approvals", sc.approvals()},
		{portal.RecordTypeFile, "files", sc.files()},
		{portal.RecordTypeReport, "reports", sc.reports()},
		{portal.RecordTypeRequest, "client_requests", sc.requests()},
	}
	return rule{name: "the event's record is one the principal sees", cond: func(q *sqlBuf, a string) {
		for i, k := range kinds {
			if i > 0 {
				q.sql(" OR ")
			}
			r := fmt.Sprintf("%sr%d", a, i)
			q.sql("(" + a + ".record_type = '" + string(k.rt) + "' AND EXISTS (SELECT 1 FROM " + k.table + " " + r +
				" WHERE " + r + ".workspace_id = " + a + ".workspace_id AND " + r + ".id = " + a + ".record_id")
			k.rules.write(&conds{q: q, count: 1}, r)
			q.sql("))")
		}
	}}
}

// The client a deliverable, an approval or a decision is shown to
// (portal_client_id, see migration 0006) is set in the transaction of every
// change that could move it. Its writers take row locks in the store's one
// order — approvals, then deliverables, then projects, and a decision only
// under its approval — so they never deadlock with the approval workflow,
// which locks in that order too.

// refreshDeliverablesShown sets portal_client_id on the workspace's
// deliverables that meet cond ("" for all), from their projects.
func refreshDeliverablesShown(ctx context.Context, tx *sqlx.Tx, workspaceID, cond string, args ...any) error {
	return refreshShown(ctx, tx, `UPDATE deliverables SET portal_client_id = (
		SELECT CASE WHEN deliverables.visibility = 'SHARED' AND p.visibility = 'SHARED' THEN p.client_id END
		FROM projects p WHERE p.workspace_id = deliverables.workspace_id AND p.id = deliverables.project_id)
	WHERE workspace_id = ?`, workspaceID, cond, args)
}

// refreshApprovalsShown sets portal_client_id on the workspace's approvals
// that meet cond ("" for all), from their deliverables.
func refreshApprovalsShown(ctx context.Context, tx *sqlx.Tx, workspaceID, cond string, args ...any) error {
	return refreshShown(ctx, tx, `UPDATE approvals SET portal_client_id = (
		SELECT d.portal_client_id FROM deliverables d
		WHERE d.workspace_id = approvals.workspace_id AND d.id = approvals.deliverable_id)
	WHERE workspace_id = ?`, workspaceID, cond, args)
}

// refreshDecisionsShown sets portal_client_id on the workspace's decisions
// that meet cond ("" for all), from their approvals.
func refreshDecisionsShown(ctx context.Context, tx *sqlx.Tx, workspaceID, cond string, args ...any) error {
	return refreshShown(ctx, tx, `UPDATE approval_decisions SET portal_client_id = (
		SELECT a.portal_client_id FROM approvals a
		WHERE a.workspace_id = approval_decisions.workspace_id AND a.id = approval_decisions.approval_id)
	WHERE workspace_id = ?`, workspaceID, cond, args)
}

// refreshShownUnder sets portal_client_id on the deliverables, approvals
// and decisions under a project or a deliverable whose visibility just
// changed: those whose deliverablesColumn, and approvals whose
// approvalsColumn, is id.
func refreshShownUnder(ctx context.Context, tx *sqlx.Tx, workspaceID, deliverablesColumn, approvalsColumn, id string) error {
	if err := refreshDeliverablesShown(ctx, tx, workspaceID, deliverablesColumn+" = ?", id); err != nil {
		return err
	}
	if err := refreshApprovalsShown(ctx, tx, workspaceID, approvalsColumn+" = ?", id); err != nil {
		return err
	}
	return refreshDecisionsShown(ctx, tx, workspaceID,
		"approval_id IN (SELECT id FROM approvals WHERE workspace_id = ? AND "+approvalsColumn+" = ?)", workspaceID, id)
}

func refreshShown(ctx context.Context, tx *sqlx.Tx, stmt, workspaceID, cond string, condArgs []any) error {
	args := append([]any{workspaceID}, condArgs...)
	if cond != "" {
		stmt += " AND " + cond
	}
	if _, err := tx.ExecContext(ctx, tx.Rebind(stmt), args...); err != nil {
		return fmt.Errorf("set the client records are shown to: %w", err)
	}
	return nil
}

// lockRows locks, in ID order, the rows of table whose column equals value.
func (s *Store) lockRows(ctx context.Context, tx *sqlx.Tx, table, workspaceID, column, value string) error {
	var ids []string
	return tx.SelectContext(ctx, &ids, tx.Rebind("SELECT id FROM "+table+" WHERE workspace_id = ? AND "+column+" = ? ORDER BY id"+s.dialect.forUpdate()), workspaceID, value)
}

// RefreshPortalScope sets again, for a whole workspace, the client each
// deliverable, approval and decision is shown to. The store keeps it in step on its
// own; this is for after changing visibility with SQL outside the store.
func (s *Store) RefreshPortalScope(ctx context.Context, workspaceID string) error {
	return s.inTx(ctx, func(tx *sqlx.Tx) error {
		return refreshAllShown(ctx, tx, workspaceID)
	})
}

// refreshAllShown sets portal_client_id on every deliverable, approval and
// decision of a workspace.
func refreshAllShown(ctx context.Context, tx *sqlx.Tx, workspaceID string) error {
	if err := refreshDeliverablesShown(ctx, tx, workspaceID, ""); err != nil {
		return err
	}
	if err := refreshApprovalsShown(ctx, tx, workspaceID, ""); err != nil {
		return err
	}
	return refreshDecisionsShown(ctx, tx, workspaceID, "")
}
