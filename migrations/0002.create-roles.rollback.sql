-- Roles are shared by every database of the cluster: revoke what this database
-- granted and leave the roles themselves (DROP ROLE them by hand once unused).
REVOKE ALL ON SCHEMA omni_identity FROM omni_identity_app, omni_identity_admin;
