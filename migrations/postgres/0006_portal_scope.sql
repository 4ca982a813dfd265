-- The client a deliverable, an approval or a decision is shown to in the
-- portal: its project's client when the deliverable and its project are
-- both SHARED, NULL otherwise. A portal read then checks one column of the
-- row instead of looking up the approval, the deliverable and the project
-- above every row. The store sets it in the transaction of every new
-- deliverable, approval or decision and of every change to a project's or a
-- deliverable's visibility.
ALTER TABLE deliverables ADD COLUMN portal_client_id text;
ALTER TABLE approvals ADD COLUMN portal_client_id text;
ALTER TABLE approval_decisions ADD COLUMN portal_client_id text;

UPDATE deliverables SET portal_client_id = (
    SELECT CASE WHEN deliverables.visibility = 'SHARED' AND p.visibility = 'SHARED' THEN p.client_id END
    FROM projects p WHERE p.workspace_id = deliverables.workspace_id AND p.id = deliverables.project_id);

UPDATE approvals SET portal_client_id = (
    SELECT d.portal_client_id FROM deliverables d
    WHERE d.workspace_id = approvals.workspace_id AND d.id = approvals.deliverable_id);

UPDATE approval_decisions SET portal_client_id = (
    SELECT a.portal_client_id FROM approvals a
    WHERE a.workspace_id = approval_decisions.workspace_id AND a.id = approval_decisions.approval_id);
