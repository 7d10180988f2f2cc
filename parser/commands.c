/*++
/* NAME
/*	commands 3
/* SUMMARY
/*	an agent's commands at the top of a reply
/* DESCRIPTION
/*	See commands.h. A command line is at most one line of the reply
/*	text; what follows the last one (after blank lines) is the answer.
/*--*/

#include <string.h>

#include <parser/commands.h>

/* The commands, and whether each takes an argument. */
static const struct {
    const char *name;
    int     argument;
}       known[] = {
    {"note", 0}, {"close", 0}, {"pending", 0}, {"solved", 0}, {"take", 0}, {"assign", 1},
};

#define COMMAND_LIST "#note, #close, #pending, #solved, #assign ADDRESS, #take"

/* command_free - release one MAIL_COMMAND */

static void command_free(gpointer data)
{
    MAIL_COMMAND *command = data;

    g_free(command->name);
    g_free(command->argument);
    g_free(command);
}

/* command_parse - one "#..." line, stripped, into commands->list or ->errors */

static void command_parse(MAIL_COMMANDS *commands, const char *line)
{
    char   *text = g_strstrip(g_strdup(line));
    char   *word = text + 1, *arg = word + strcspn(word, " \t");
    MAIL_COMMAND *command;

    if (*arg)
	*arg++ = 0;
    arg = g_strstrip(arg);
    for (size_t i = 0; i < G_N_ELEMENTS(known); i++) {
	if (g_ascii_strcasecmp(word, known[i].name) != 0)
	    continue;
	if (known[i].argument != (*arg != 0)) {
	    g_ptr_array_add(commands->errors, g_strdup_printf("#%s %s", known[i].name,
		      known[i].argument ? "needs an ADDRESS" : "takes no argument"));
	} else {
	    command = g_new0(MAIL_COMMAND, 1);
	    command->name = g_strdup(known[i].name);
	    command->argument = g_strdup(arg);
	    g_ptr_array_add(commands->list, command);
	}
	g_free(text);
	return;
    }
    g_ptr_array_add(commands->errors, g_strdup_printf("%s: not a command (" COMMAND_LIST ")", line));
    g_free(text);
}

/* mail_commands - the command lines at the top of a reply, or NULL */

MAIL_COMMANDS *mail_commands(const char *text)
{
    MAIL_COMMANDS *commands = NULL;
    const char *line = text, *end;
    char   *copy;

    while (line && *line) {
	end = line + strcspn(line, "\n");
	copy = g_strndup(line, (gsize) (end - line));
	g_strstrip(copy);
	if (*copy == '#') {
	    if (commands == NULL) {
		commands = g_new0(MAIL_COMMANDS, 1);
		commands->list = g_ptr_array_new_with_free_func(command_free);
		commands->errors = g_ptr_array_new_with_free_func(g_free);
	    }
	    command_parse(commands, copy);
	} else if (*copy) {
	    g_free(copy);
	    break;
	}
	g_free(copy);
	line = *end ? end + 1 : end;
    }
    if (commands)
	commands->body_start = g_utf8_strlen(text, line - text);
    return (commands);
}

/* mail_commands_free - release what mail_commands() returned */

void    mail_commands_free(MAIL_COMMANDS *commands)
{
    if (commands == NULL)
	return;
    g_ptr_array_free(commands->list, TRUE);
    g_ptr_array_free(commands->errors, TRUE);
    g_free(commands);
}
