/* test_xml.c - the XML reader: what AWS sends, and every way a hostile body is refused. */
#include "test_util.h"

#include <stdio.h>
#include <stdlib.h>

#include "aws/xml.h"

static void reads_an_ec2_error(void **state)
{
    (void)state;
    const char *x = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Response><Errors><Error>"
                    "<Code>InsufficientInstanceCapacity</Code><Message>We currently do not have "
                    "sufficient t3.small capacity &amp; more &#x263A; &#65;</Message></Error>"
                    "</Errors><RequestID>abc</RequestID></Response>";
    struct nf_xml_doc d;
    struct nf_err err;
    assert_int_equal(nf_xml_parse(x, strlen(x), &d, &err), NF_OK);
    assert_string_equal(d.root->name, "Response");
    assert_string_equal(nf_xml_path_text(d.root, "Errors/Error/Code"),
                        "InsufficientInstanceCapacity");
    assert_string_equal(
        nf_xml_path_text(d.root, "Errors/Error/Message"),
        "We currently do not have sufficient t3.small capacity & more \xe2\x98\xba A");
    assert_null(nf_xml_path(d.root, "Errors/Nope"));
    nf_xml_free(&d);
}

static void namespaces_cdata_comments_and_mixed_text(void **state)
{
    (void)state;
    const char *x = "<a:Root xmlns:a='x' b=\"1\"><!-- c --><a:v>1<![CDATA[<2>]]>3</a:v>"
                    "<e/><w> x </w></a:Root>";
    struct nf_xml_doc d;
    struct nf_err err;
    assert_int_equal(nf_xml_parse(x, strlen(x), &d, &err), NF_OK);
    assert_string_equal(d.root->name, "Root");
    assert_string_equal(nf_xml_path_text(d.root, "v"), "1<2>3");
    assert_string_equal(nf_xml_path_text(d.root, "e"), "");
    assert_string_equal(nf_xml_path_text(d.root, "w"), " x ");
    nf_xml_free(&d);
}

static void hostile_documents_are_refused(void **state)
{
    (void)state;
    const struct {
        const char *x, *msg;
    } cases[] = {
        {"", "no root element"},
        {"<a>", "unclosed element"},
        {"<a></b>", "end tag does not match"},
        {"</a>", "end tag without a start tag"},
        {"<a>&bogus;</a>", "unknown entity"},
        {"<a>&#0;</a>", "character reference out of range"},
        {"<a>&#x110000;</a>", "character reference out of range"},
        {"<!DOCTYPE a [<!ENTITY e \"x\">]><a>&e;</a>", "DOCTYPE and declarations are not accepted"},
        {"<a/><b/>", "a second root element"},
        {"<a/>text", "text after the root element"},
        {"<a x=1/>", "attribute value not quoted"},
        {"<a x='1/>", "unterminated attribute value"},
        {"<a><!-- x </a>", "unterminated comment"},
        {"<a><![CDATA[x</a>", "unterminated CDATA"},
        {"<>", "malformed start tag"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct nf_xml_doc d;
        struct nf_err err = {0};
        if (nf_xml_parse(cases[i].x, strlen(cases[i].x), &d, &err) != NF_E_INPUT)
            fail_msg("case %zu accepted: %s", i, cases[i].x);
        assert_string_contains(err.msg, cases[i].msg);
        assert_null(d.root);
    }
    /* depth is bounded */
    char deep[4096];
    for (int i = 0; i < 100; i++)
        memcpy(deep + 3 * i, "<a>", 3);
    deep[300] = '\0';
    struct nf_xml_doc d;
    struct nf_err err;
    assert_int_equal(nf_xml_parse(deep, strlen(deep), &d, &err), NF_E_INPUT);
    assert_string_contains(err.msg, "nested too deeply");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(reads_an_ec2_error),
        cmocka_unit_test(namespaces_cdata_comments_and_mixed_text),
        cmocka_unit_test(hostile_documents_are_refused),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
