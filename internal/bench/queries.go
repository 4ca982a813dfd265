package main

// The benchmark's GraphQL queries. Q0 is the least a request can ask, the
// fixed cost of any request: authentication, parsing, limits, the budget.
// Q1 is the dashboard a portal contact
// opens; Q1 as staff reads the same rows through the staff schema (shared
// records only), so the two differ only in authorization; Q2 is a staff
// "what is due" list; Q3 a staff update; Q4 a partner's dashboard of
// aggregates, read with a partner's key: each figure one statement.

const q0 = `{ viewer { audience } }`

const q1Portal = `query Dashboard {
  viewer { client { id name
    projects(first: 10) { totalCount edges { node { id name status dueOn
      deliverables(first: 10) { totalCount edges { node { id title status dueOn
        approvals(first: 5) { edges { node { id title status
          decisions { outcome comment decidedAt contact { name } } } } } } } } } } } } } }`

const q1Staff = `query Dashboard($client: ID!) {
  client(id: $client) { id name
    projects(first: 10, filter: {visibility: SHARED}) { totalCount edges { node { id name status dueOn
      deliverables(first: 10, filter: {visibility: SHARED}) { totalCount edges { node { id title status dueOn
        approvals(first: 5) { edges { node { id title status
          decisions { outcome comment decidedAt contact { name } } } } } } } } } } } } }`

const q2 = `query Due($after: Date!, $before: Date!) {
  deliverables(first: 50, filter: {status: [IN_REVIEW], dueAfter: $after, dueBefore: $before}, orderBy: {field: DUE_ON}) {
    totalCount edges { node { id title status dueOn project { id name client { id name } } } } } }`

const q3 = `mutation Update($id: ID!, $status: DeliverableStatus!) {
  updateDeliverable(input: {id: $id, status: $status}) { deliverable { id status updatedAt } } }`

const q4 = `query PartnerDashboard($from: Date!, $to: Date!, $groupBy: DashboardGrouping!) {
  dashboard(filter: {from: $from, to: $to, groupBy: $groupBy}) {
    approvalsByStatus { group { key project { name } } status count }
    approvalTurnaround { group { key } resolved medianHours p90Hours }
    overdueApprovals { group { key } count }
    overdueDeliverables { group { key } count }
    deliverablesByStatus { group { key } status count }
    requests { group { key } opened closed } } }`
