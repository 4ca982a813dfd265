-- Roles as data: the five built-in roles in every workspace, under the
-- same IDs everywhere (portal.BuiltInRoleID), and the roles a workspace
-- defines itself. A role's permissions are the comma-separated names of
-- the schema's Permission values; the built-in rows are rewritten from the
-- server's matrix (portal.BuiltInPermissions) after every migration, so
-- they are left empty here.
CREATE TABLE roles (
    workspace_id text NOT NULL REFERENCES workspaces (id),
    id           text NOT NULL,
    name         text NOT NULL,
    built_in     text CHECK (built_in IN ('OWNER', 'ADMIN', 'MANAGER', 'MEMBER', 'VIEWER')),
    permissions  text NOT NULL DEFAULT '',
    created_at   timestamptz NOT NULL,
    updated_at   timestamptz NOT NULL,
    PRIMARY KEY (workspace_id, id),
    UNIQUE (workspace_id, name),
    UNIQUE (workspace_id, built_in)
);

INSERT INTO roles (workspace_id, id, name, built_in, created_at, updated_at)
SELECT w.id, b.id, b.name, b.built_in, now(), now()
FROM workspaces w CROSS JOIN (VALUES
    ('rol_00000000000000000000000001', 'Owner', 'OWNER'),
    ('rol_00000000000000000000000002', 'Admin', 'ADMIN'),
    ('rol_00000000000000000000000003', 'Manager', 'MANAGER'),
    ('rol_00000000000000000000000004', 'Member', 'MEMBER'),
    ('rol_00000000000000000000000005', 'Viewer', 'VIEWER')
) AS b (id, name, built_in);

-- Staff hold a role by its row; the built-in role's name in users.role
-- becomes the ID of that workspace's built-in row.
ALTER TABLE users ADD COLUMN role_id text;
UPDATE users SET role_id = CASE role
    WHEN 'OWNER' THEN 'rol_00000000000000000000000001'
    WHEN 'ADMIN' THEN 'rol_00000000000000000000000002'
    WHEN 'MANAGER' THEN 'rol_00000000000000000000000003'
    WHEN 'MEMBER' THEN 'rol_00000000000000000000000004'
    ELSE 'rol_00000000000000000000000005' END;
ALTER TABLE users ALTER COLUMN role_id SET NOT NULL;
ALTER TABLE users ADD CONSTRAINT users_role_fkey FOREIGN KEY (workspace_id, role_id) REFERENCES roles (workspace_id, id);
ALTER TABLE users DROP COLUMN role;
CREATE INDEX users_by_role ON users (workspace_id, role_id);

-- At most one owner per workspace, whatever races; that there is one is
-- the store's to keep (ownership is transferred, never taken away).
CREATE UNIQUE INDEX users_one_owner ON users (workspace_id) WHERE role_id = 'rol_00000000000000000000000001';

-- A deactivated staff member signs in no more; the token's statement
-- reads the column, so their sessions end on their next request.
ALTER TABLE users ADD COLUMN deactivated_at timestamptz;
