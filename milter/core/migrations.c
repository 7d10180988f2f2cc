/*++
/* NAME
/*	migrations 3
/* SUMMARY
/*	the numbered schema migrations of sql/, applied once each
/* DESCRIPTION
/*	See migrations.h.
/*--*/

/* System library. */
#include <stdlib.h>
#include <string.h>

/* Global library. */
#include <milter/core/migrations.h>

#define MIGRATION_LOCK	"7431001"	/* pg_advisory_xact_lock key */

/* exec_ok - run SQL that returns no rows; -1 with the server's reason */

static int exec_ok(PGconn *conn, const char *sql, const char *what, TM_ERROR *err)
{
    PGresult *res = PQexec(conn, sql);
    ExecStatusType st = PQresultStatus(res);
    int     ret = 0;

    /* A migration whose functions moved to sql/functions/ is comments. */
    if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK && st != PGRES_EMPTY_QUERY)
	ret = tm_error(err, "%s: %s", what, PQerrorMessage(conn));
    PQclear(res);
    return (ret);
}

/* migrations_latest - the newest version this build knows */

int     migrations_latest(void)
{
    int     latest = 0;

    for (const MIGRATION *m = migrations; m->version; m++)
	latest = m->version;
    return (latest);
}

/* migrations_applied - the newest applied version, 0 if none */

int     migrations_applied(PGconn *conn, int *version, TM_ERROR *err)
{
    PGresult *res;

    res = PQexec(conn, "SELECT coalesce(max(version), 0) FROM schema_migrations");
    if (PQresultStatus(res) != PGRES_TUPLES_OK) {
	const char *state = PQresultErrorField(res, PG_DIAG_SQLSTATE);
	int     missing = state && strcmp(state, "42P01") == 0;	/* undefined_table */

	PQclear(res);
	if (missing) {
	    *version = 0;
	    return (0);
	}
	return (tm_error(err, "reading schema_migrations: %s", PQerrorMessage(conn)));
    }
    *version = atoi(PQgetvalue(res, 0, 0));
    PQclear(res);
    return (0);
}

/* migration_applied - 1 if this version is recorded, 0 if not, -1 on error */

static int migration_applied(PGconn *conn, int version, TM_ERROR *err)
{
    char    text[16];
    const char *params[1] = {text};
    PGresult *res;
    int     found;

    snprintf(text, sizeof(text), "%d", version);
    res = PQexecParams(conn, "SELECT 1 FROM schema_migrations WHERE version = $1",
		       1, 0, params, 0, 0, 0);
    if (PQresultStatus(res) != PGRES_TUPLES_OK) {
	tm_error(err, "reading schema_migrations: %s", PQerrorMessage(conn));
	PQclear(res);
	return (-1);
    }
    found = PQntuples(res) > 0;
    PQclear(res);
    return (found);
}

/* migration_run - apply one migration in its own transaction */

static int migration_run(PGconn *conn, const MIGRATION *m, FILE *out, TM_ERROR *err)
{
    char    version[16];
    const char *params[2] = {version, m->name};
    PGresult *res;
    int     done;

    snprintf(version, sizeof(version), "%d", m->version);
    if (exec_ok(conn, "BEGIN", "BEGIN", err) < 0)
	return (-1);
    if (exec_ok(conn, "SELECT pg_advisory_xact_lock(" MIGRATION_LOCK ")", "lock", err) < 0)
	goto rollback;
    /* Another ticketctl may have applied it while we waited for the lock. */
    if ((done = migration_applied(conn, m->version, err)) < 0)
	goto rollback;
    if (done) {
	exec_ok(conn, "ROLLBACK", "ROLLBACK", 0);
	return (0);
    }
    if (exec_ok(conn, m->sql, m->name, err) < 0)
	goto rollback;
    res = PQexecParams(conn, "INSERT INTO schema_migrations (version, name) VALUES ($1, $2)",
		       2, 0, params, 0, 0, 0);
    if (PQresultStatus(res) != PGRES_COMMAND_OK) {
	tm_error(err, "recording %s: %s", m->name, PQerrorMessage(conn));
	PQclear(res);
	goto rollback;
    }
    PQclear(res);
    if (exec_ok(conn, "COMMIT", m->name, err) < 0)
	return (-1);
    fprintf(out, "applied %s\n", m->name);
    return (1);

rollback:
    exec_ok(conn, "ROLLBACK", "ROLLBACK", 0);
    return (-1);
}

/* code_current - 1 if the database runs this build's functions, 0 if not */

static int code_current(PGconn *conn, TM_ERROR *err)
{
    const char *params[1] = {migrations_code_id};
    PGresult *res = PQexecParams(conn, "SELECT 1 FROM schema_code WHERE id = $1",
				 1, 0, params, 0, 0, 0);
    int     current;

    if (PQresultStatus(res) != PGRES_TUPLES_OK) {
	tm_error(err, "reading schema_code: %s", PQerrorMessage(conn));
	PQclear(res);
	return (-1);
    }
    current = PQntuples(res) > 0;
    PQclear(res);
    return (current);
}

/* migrations_code_apply - replace the functions unless they are current */

int     migrations_code_apply(PGconn *conn, TM_ERROR *err)
{
    const char *params[1] = {migrations_code_id};
    PGresult *res;
    int     current;

    if (exec_ok(conn, "BEGIN", "BEGIN", err) < 0)
	return (-1);
    if (exec_ok(conn, "SELECT pg_advisory_xact_lock(" MIGRATION_LOCK ")", "lock", err) < 0
	|| (current = code_current(conn, err)) < 0)
	goto rollback;
    if (current) {
	exec_ok(conn, "ROLLBACK", "ROLLBACK", 0);
	return (0);
    }
    /* Bodies are checked when called: one function may name a later one. */
    if (exec_ok(conn, "SET LOCAL check_function_bodies = off", "SET", err) < 0
	|| exec_ok(conn, migrations_code, "the SQL functions (sql/functions/)", err) < 0
	|| exec_ok(conn, "DELETE FROM schema_code", "schema_code", err) < 0)
	goto rollback;
    res = PQexecParams(conn, "INSERT INTO schema_code (id) VALUES ($1)", 1, 0, params, 0, 0, 0);
    if (PQresultStatus(res) != PGRES_COMMAND_OK) {
	tm_error(err, "recording the SQL functions: %s", PQerrorMessage(conn));
	PQclear(res);
	goto rollback;
    }
    PQclear(res);
    if (exec_ok(conn, "COMMIT", "the SQL functions", err) < 0)
	return (-1);
    return (1);

rollback:
    exec_ok(conn, "ROLLBACK", "ROLLBACK", 0);
    return (-1);
}

/* migrations_apply - apply (or with dry_run list) the pending migrations */

int     migrations_apply(PGconn *conn, int dry_run, FILE *out, TM_ERROR *err)
{
    int     current, count = 0, ret = 0;

    if (!dry_run && exec_ok(conn,
			    "SET client_min_messages = warning;"
			    "CREATE TABLE IF NOT EXISTS schema_migrations ("
			    " version integer PRIMARY KEY, name text NOT NULL,"
			    " applied_at timestamptz NOT NULL DEFAULT now())",
			    "creating schema_migrations", err) < 0)
	return (-1);
    if (migrations_applied(conn, &current, err) < 0)
	return (-1);
    /*
     * Every version not recorded is pending, not only those above the
     * newest: migrations numbered apart may land in any order.
     */
    for (const MIGRATION *m = migrations; m->version; m++) {
	if (current > 0) {
	    if ((ret = migration_applied(conn, m->version, err)) < 0)
		return (-1);
	    if (ret)
		continue;
	}
	if (dry_run) {
	    fprintf(out, "pending %s\n", m->name);
	    count++;
	} else if ((ret = migration_run(conn, m, out, err)) < 0) {
	    return (-1);
	} else {
	    count += ret;
	}
    }
    if (dry_run) {
	if (count == 0 && (ret = code_current(conn, err)) < 0)
	    return (-1);
	if (count > 0 || ret == 0)
	    fprintf(out, "pending the SQL functions of this build\n");
    } else if ((ret = migrations_code_apply(conn, err)) < 0) {
	return (-1);
    } else if (ret > 0) {
	fprintf(out, "applied the SQL functions of this build\n");
    }
    return (count);
}

/* migrations_check - fail unless the schema is at this build's version */

int     migrations_check(PGconn *conn, int functions, TM_ERROR *err)
{
    int     current, latest = migrations_latest();

    if (migrations_applied(conn, &current, err) < 0)
	return (-1);
    if (current == 0)
	return (tm_error(err, "the database has no ticket-milter schema: run 'ticketctl init'"));
    if (current < latest)
	return (tm_error(err, "the database schema is at version %d, this build needs %d:"
			 " run 'ticketctl migrate'", current, latest));
    for (const MIGRATION *m = migrations; m->version; m++) {
	int     found = migration_applied(conn, m->version, err);

	if (found < 0)
	    return (-1);
	if (!found)
	    return (tm_error(err, "the database schema lacks migration %s: run 'ticketctl migrate'",
			     m->name));
    }
    if (functions) {
	int     code = code_current(conn, err);

	if (code < 0)
	    return (-1);
	if (code == 0)
	    return (tm_error(err, "the database runs SQL functions of another build:"
			     " run 'ticketctl migrate'"));
    }
    return (0);
}

/* migrations_ready - the daemon's check: schema current, this build's
 * functions in place (applied when another build's are there) */

int     migrations_ready(PGconn *conn, TM_ERROR *err)
{
    int     applied;

    if (migrations_check(conn, 0, err) < 0)
	return (-1);
    if ((applied = migrations_code_apply(conn, err)) < 0)
	return (tm_error(err, "%s; run 'ticketctl migrate' as the database's owner", err->text));
    return (applied);
}
