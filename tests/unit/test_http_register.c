/*
 * test_http_register.c - REG-6 dclogin URLs, JSON escaping and the
 * HTTP-4 autoconfig document.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "core/core_conf.h"
#include "http/http_routes.h"

static void
conf_with(struct conf *c, const char *text)
{
	char err[256];

	assert_int_equal(conf_init(c), 0);
	if (conf_parse(c, text, strlen(text), "t.ini", "/tmp", err, sizeof(err)) < 0)
		fail_msg("%s", err);
}

static void
test_dclogin_standard(void **state)
{
	struct conf c;
	char url[1024];

	(void)state;
	conf_with(&c,
	        "[params]\nmail_domain = chat.example\nimaps_port = 993\n"
	        "submissions_port = 465\n");
	assert_int_equal(
	        http_dclogin_url(&c, false, "abc@chat.example", "p a/ss~-._Z9", url, sizeof(url)),
	        0);
	assert_string_equal(url, "dclogin:abc@chat.example?p=p%20a%2Fss~-._Z9&v=1");
	assert_int_equal(http_dclogin_url(&c, true, "abc@chat.example", "pw", url, sizeof(url)), 0);
	assert_string_equal(url, "dclogin:abc@chat.example?p=pw&v=1&ic=3");
	conf_free(&c);
}

static void
test_dclogin_ip(void **state)
{
	struct conf c;
	char url[1024];

	(void)state;
	conf_with(&c,
	        "[params]\nmail_domain = 10.0.0.1\nimaps_port = 9930\nsubmissions_port = 0\n"
	        "submission_port = 5870\n");
	assert_int_equal(http_dclogin_url(&c, true, "abc@[10.0.0.1]", "pw", url, sizeof(url)), 0);
	assert_string_equal(url,
	        "dclogin:abc@[10.0.0.1]?p=pw&v=1&ih=10.0.0.1&ip=9930&is=ssl"
	        "&sh=10.0.0.1&sp=5870&ss=starttls&ic=3");
	conf_free(&c);
}

static void
test_dclogin_hostname(void **state)
{
	struct conf c;
	char url[1024];

	(void)state;
	conf_with(&c,
	        "[params]\nmail_domain = chat.example\nhostname = mx.chat.example\n"
	        "imaps_port = 993\nsubmissions_port = 465\n");
	assert_int_equal(http_dclogin_url(&c, false, "a@chat.example", "x", url, sizeof(url)), 0);
	assert_string_equal(url,
	        "dclogin:a@chat.example?p=x&v=1&ih=mx.chat.example&ip=993&is=ssl"
	        "&sh=mx.chat.example&sp=465&ss=ssl");
	conf_free(&c);
}

static void
test_json(void **state)
{
	char out[64];

	(void)state;
	assert_int_equal(http_json_escape("a\"b\\c\n", out, sizeof(out)), 0);
	assert_string_equal(out, "a\\\"b\\\\c\\u000a");
	assert_int_equal(http_json_escape("abcdef", out, 4), -1);
}

static void
test_autoconfig(void **state)
{
	struct conf c;
	char doc[4096];

	(void)state;
	conf_with(&c,
	        "[params]\nmail_domain = chat.example\nimaps_port = 993\nimap_port = 0\n"
	        "submissions_port = 465\nsubmission_port = 587\n");
	assert_true(http_autoconfig_render(&c, doc, sizeof(doc)) > 0);
	assert_string_equal(doc,
	        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
	        "<clientConfig version=\"1.1\">\n"
	        "  <emailProvider id=\"chat.example\">\n"
	        "    <domain>chat.example</domain>\n"
	        "    <displayName>chat.example chatmail</displayName>\n"
	        "    <displayShortName>chat.example</displayShortName>\n"
	        "    <incomingServer type=\"imap\"> <hostname>chat.example</hostname> "
	        "<port>993</port>\n"
	        "      <socketType>SSL</socketType> "
	        "<authentication>password-cleartext</authentication>\n"
	        "      <username>%EMAILADDRESS%</username> </incomingServer>\n"
	        "    <outgoingServer type=\"smtp\"> <hostname>chat.example</hostname> "
	        "<port>465</port>\n"
	        "      <socketType>SSL</socketType> "
	        "<authentication>password-cleartext</authentication>\n"
	        "      <username>%EMAILADDRESS%</username> </outgoingServer>\n"
	        "    <outgoingServer type=\"smtp\"> <hostname>chat.example</hostname> "
	        "<port>587</port>\n"
	        "      <socketType>STARTTLS</socketType> "
	        "<authentication>password-cleartext</authentication>\n"
	        "      <username>%EMAILADDRESS%</username> </outgoingServer>\n"
	        "  </emailProvider>\n"
	        "</clientConfig>\n");
	conf_free(&c);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_dclogin_standard),
	        cmocka_unit_test(test_dclogin_ip),
	        cmocka_unit_test(test_dclogin_hostname),
	        cmocka_unit_test(test_json),
	        cmocka_unit_test(test_autoconfig),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
