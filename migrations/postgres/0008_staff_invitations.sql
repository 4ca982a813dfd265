-- Staff members are invited too: a new workspace's owner chooses a
-- password by an invitation, as contacts do. An invitation names either a
-- contact or a staff member.
ALTER TABLE invites ALTER COLUMN contact_id DROP NOT NULL;
ALTER TABLE invites ADD COLUMN user_id text;
ALTER TABLE invites ADD CONSTRAINT invites_user_fkey FOREIGN KEY (workspace_id, user_id) REFERENCES users (workspace_id, id);
ALTER TABLE invites ADD CONSTRAINT invites_one_invitee CHECK ((contact_id IS NULL) <> (user_id IS NULL));
CREATE INDEX invites_by_user ON invites (workspace_id, user_id) WHERE user_id IS NOT NULL;
