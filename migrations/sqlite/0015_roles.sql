-- Roles as data: the five built-in roles in every workspace, under the
-- same IDs everywhere (portal.BuiltInRoleID), and the roles a workspace
-- defines itself. A role's permissions are the comma-separated names of
-- the schema's Permission values; the built-in rows are rewritten from the
-- server's matrix (portal.BuiltInPermissions) after every migration, so
-- they are left empty here.
CREATE TABLE roles (
    workspace_id TEXT NOT NULL REFERENCES workspaces (id),
    id           TEXT NOT NULL,
    name         TEXT NOT NULL,
    built_in     TEXT CHECK (built_in IN ('OWNER', 'ADMIN', 'MANAGER', 'MEMBER', 'VIEWER')),
    permissions  TEXT NOT NULL DEFAULT '',
    created_at   TIMESTAMP NOT NULL,
    updated_at   TIMESTAMP NOT NULL,
    PRIMARY KEY (workspace_id, id),
    UNIQUE (workspace_id, name),
    UNIQUE (workspace_id, built_in)
);

INSERT INTO roles (workspace_id, id, name, built_in, created_at, updated_at)
SELECT w.id, b.id, b.name, b.built_in, CURRENT_TIMESTAMP, CURRENT_TIMESTAMP
FROM workspaces w CROSS JOIN (
    SELECT 'rol_00000000000000000000000001' AS id, 'Owner' AS name, 'OWNER' AS built_in
    UNION ALL SELECT 'rol_00000000000000000000000002', 'Admin', 'ADMIN'
    UNION ALL SELECT 'rol_00000000000000000000000003', 'Manager', 'MANAGER'
    UNION ALL SELECT 'rol_00000000000000000000000004', 'Member', 'MEMBER'
    UNION ALL SELECT 'rol_00000000000000000000000005', 'Viewer', 'VIEWER'
) b;

-- Staff hold a role by its row; the built-in role's name in users.role
-- becomes the ID of that workspace's built-in row. SQLite cannot add a
-- foreign key to a table, and making users again would mean making every
-- table that refers to it again, so triggers hold role_id to a role of
-- the member's workspace instead.
ALTER TABLE users ADD COLUMN role_id TEXT NOT NULL DEFAULT '';
UPDATE users SET role_id = CASE role
    WHEN 'OWNER' THEN 'rol_00000000000000000000000001'
    WHEN 'ADMIN' THEN 'rol_00000000000000000000000002'
    WHEN 'MANAGER' THEN 'rol_00000000000000000000000003'
    WHEN 'MEMBER' THEN 'rol_00000000000000000000000004'
    ELSE 'rol_00000000000000000000000005' END;
ALTER TABLE users DROP COLUMN role;
CREATE INDEX users_by_role ON users (workspace_id, role_id);

CREATE TRIGGER users_role_insert BEFORE INSERT ON users
WHEN NOT EXISTS (SELECT 1 FROM roles r WHERE r.workspace_id = NEW.workspace_id AND r.id = NEW.role_id)
BEGIN SELECT RAISE(ABORT, 'FOREIGN KEY constraint failed: users.role_id'); END;
CREATE TRIGGER users_role_update BEFORE UPDATE OF role_id ON users
WHEN NOT EXISTS (SELECT 1 FROM roles r WHERE r.workspace_id = NEW.workspace_id AND r.id = NEW.role_id)
BEGIN SELECT RAISE(ABORT, 'FOREIGN KEY constraint failed: users.role_id'); END;
CREATE TRIGGER roles_held_delete BEFORE DELETE ON roles
WHEN EXISTS (SELECT 1 FROM users u WHERE u.workspace_id = OLD.workspace_id AND u.role_id = OLD.id)
BEGIN SELECT RAISE(ABORT, 'FOREIGN KEY constraint failed: users.role_id'); END;

-- At most one owner per workspace, whatever races; that there is one is
-- the store's to keep (ownership is transferred, never taken away).
CREATE UNIQUE INDEX users_one_owner ON users (workspace_id) WHERE role_id = 'rol_00000000000000000000000001';

-- A deactivated staff member signs in no more; the token's statement
-- reads the column, so their sessions end on their next request.
ALTER TABLE users ADD COLUMN deactivated_at TIMESTAMP;
