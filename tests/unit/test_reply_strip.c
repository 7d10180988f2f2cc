/* test_reply_strip - an agent's command lines at the top of a reply */

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include <glib.h>
#include <parser/mail.h>

/* command_at - "name argument" of the i-th command */

static char *command_at(const MAIL_COMMANDS *commands, guint i)
{
    const MAIL_COMMAND *command = g_ptr_array_index(commands->list, i);

    return (g_strdup_printf("%s %s", command->name, command->argument));
}

static void test_no_commands(void **state)
{
    assert_null(mail_commands("Hello,\n#close is what I would do.\n"));
    assert_null(mail_commands(""));
    assert_null(mail_commands(NULL));
    assert_null(mail_commands("\n\n  plain text\n"));
}

static void test_commands_and_body(void **state)
{
    static const char text[] = "\n  #Close\n#assign  bob@agents.test \r\n\n#take\nDear customer,\n#note not a command here\n";
    MAIL_COMMANDS *commands = mail_commands(text);
    char   *c;

    assert_non_null(commands);
    assert_int_equal(commands->list->len, 3);
    assert_string_equal(c = command_at(commands, 0), "close "), g_free(c);
    assert_string_equal(c = command_at(commands, 1), "assign bob@agents.test"), g_free(c);
    assert_string_equal(c = command_at(commands, 2), "take "), g_free(c);
    assert_int_equal(commands->errors->len, 0);
    assert_string_equal(text + commands->body_start, "Dear customer,\n#note not a command here\n");
    mail_commands_free(commands);
}

static void test_errors(void **state)
{
    MAIL_COMMANDS *commands = mail_commands("#frobnicate now\n#close today\n#assign\n#note\n");

    assert_int_equal(commands->list->len, 1);
    assert_int_equal(commands->errors->len, 3);
    assert_string_equal(g_ptr_array_index(commands->errors, 0),
			"#frobnicate now: not a command (#note, #close, #pending, #solved, #take, #assign ADDRESS, "
			"#cc add|remove ADDRESS, #merge NUMBER, #spam, #notspam, #canned NAME; "
			"to the queue address: #list, #new ADDRESS)");
    assert_string_equal(g_ptr_array_index(commands->errors, 1), "#close takes no argument");
    assert_string_equal(g_ptr_array_index(commands->errors, 2), "#assign needs ADDRESS");
    assert_int_equal(commands->body_start, strlen("#frobnicate now\n#close today\n#assign\n#note\n"));
    mail_commands_free(commands);
}

/* The commands of issue 18: their arguments kept whole, for the database. */
static void test_more_commands(void **state)
{
    MAIL_COMMANDS *commands = mail_commands("#cc add  Ann@x.test\n#merge 100001\n#canned Welcome\n"
					    "#spam\n#NotSpam\n#cc\n#merge\n#spam now\nHello\n");
    char   *c;

    assert_int_equal(commands->list->len, 5);
    assert_string_equal(c = command_at(commands, 0), "cc add  Ann@x.test"), g_free(c);
    assert_string_equal(c = command_at(commands, 1), "merge 100001"), g_free(c);
    assert_string_equal(c = command_at(commands, 2), "canned Welcome"), g_free(c);
    assert_string_equal(c = command_at(commands, 3), "spam "), g_free(c);
    assert_string_equal(c = command_at(commands, 4), "notspam "), g_free(c);
    assert_int_equal(commands->errors->len, 3);
    assert_string_equal(g_ptr_array_index(commands->errors, 0), "#cc needs add|remove ADDRESS");
    assert_string_equal(g_ptr_array_index(commands->errors, 1), "#merge needs NUMBER");
    assert_string_equal(g_ptr_array_index(commands->errors, 2), "#spam takes no argument");
    mail_commands_free(commands);
}

/* The commands of a mail to the queue address are parsed here too. */
static void test_queue_commands(void **state)
{
    MAIL_COMMANDS *commands = mail_commands("#new <Eve@customer.test>\n#list\n#new\n#list all\nHi\n");
    char   *c;

    assert_int_equal(commands->list->len, 2);
    assert_string_equal(c = command_at(commands, 0), "new <Eve@customer.test>"), g_free(c);
    assert_string_equal(c = command_at(commands, 1), "list "), g_free(c);
    assert_int_equal(commands->errors->len, 2);
    assert_string_equal(g_ptr_array_index(commands->errors, 0), "#new needs ADDRESS");
    assert_string_equal(g_ptr_array_index(commands->errors, 1), "#list takes no argument");
    mail_commands_free(commands);
}

/* The body starts in characters, as the database counts: "é" is one. */
static void test_body_start_in_characters(void **state)
{
    static const char text[] = "#assign ré@agents.test\nMerci\n";
    MAIL_COMMANDS *commands = mail_commands(text);

    assert_int_equal(commands->body_start, g_utf8_strlen("#assign ré@agents.test\n", -1));
    assert_int_equal(commands->body_start, strlen("#assign ré@agents.test\n") - 1);
    mail_commands_free(commands);
}

int     main(void)
{
    const struct CMUnitTest tests[] = {
	cmocka_unit_test(test_no_commands),
	cmocka_unit_test(test_commands_and_body),
	cmocka_unit_test(test_errors),
	cmocka_unit_test(test_more_commands),
	cmocka_unit_test(test_queue_commands),
	cmocka_unit_test(test_body_start_in_characters),
    };

    return (cmocka_run_group_tests(tests, NULL, NULL));
}
