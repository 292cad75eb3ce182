/*
 * core_conf_int.h - helpers shared by the configuration parser's files
 * (core_conf.c, core_conf_value.c). Not for other modules: they use
 * core_conf.h.
 */
#ifndef CHATRELAY_CORE_CONF_INT_H
#define CHATRELAY_CORE_CONF_INT_H

#include <stdbool.h>
#include <stddef.h>

#include "core/core_conf.h"

/* conf_list_add - append a copy of word[0..len); 0 or -1 (ENOMEM, CONF_LIST_MAX). */
int conf_list_add(struct conf_list *l, const char *word, size_t len);
/* conf_list_clear - free every word; the list is empty afterwards. */
void conf_list_clear(struct conf_list *l);
/* conf_set_list - replace l with the whitespace-separated words of value. 0 or -1. */
int conf_set_list(struct conf_list *l, const char *value);
/* conf_set_string - replace an owned string field with a copy. 0 or -1. */
int conf_set_string(char **field, const char *value);
/* conf_set_path - like conf_set_string, relative paths resolved against base_dir (CONF-3). */
int conf_set_path(char **field, const char *value, const char *base_dir);
/* conf_parse_number - a non-negative decimal number such as 0, 2 or 1.5. 0 or -1. */
int conf_parse_number(const char *s, double *v_r);
/* conf_is_ipv4 - dotted quad with each part 0..255. */
bool conf_is_ipv4(const char *s);
/* conf_is_hostname - LDH labels ('_' allowed), last label not all digits. */
bool conf_is_hostname(const char *s);

#endif
