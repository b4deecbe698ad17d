/* lwiptap_conform SCRIPT [RESULT_FILE]: plays one conformance script against
 * lwIP in the unit-test fixture (fake link and clock, pools checked at the
 * end) and prints PASS or FAIL; with RESULT_FILE it also writes the result
 * there as "name<TAB>pass|fail" for scripts/conformance_table.py. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>

#include "conversation.h"
#include "fixture.h"
#include "script.h"

static struct script script;

START_TEST(play)
{
    conversation_play(&script);
}
END_TEST

int main(int argc, char **argv)
{
    if (argc != 2 && argc != 3) {
        fprintf(stderr, "usage: %s SCRIPT [RESULT_FILE]\n", argv[0]);
        return 2;
    }
    char err[512];
    if (script_load(argv[1], &script, err, sizeof err) != 0) {
        fprintf(stderr, "%s: %s\n", argv[0], err);
        return 2;
    }
    Suite *s = suite_create("conform");
    fixture_add_test(s, play);
    SRunner *runner = srunner_create(s);
    srunner_run_all(runner, CK_NORMAL);
    int failed = srunner_ntests_failed(runner);
    srunner_free(runner);
    printf("%s %s\n", failed == 0 ? "PASS" : "FAIL", script.name);
    if (argc == 3) {
        FILE *f = fopen(argv[2], "w");
        if (f == NULL) {
            fprintf(stderr, "%s: cannot write %s\n", argv[0], argv[2]);
            return 2;
        }
        fprintf(f, "%s\t%s\n", script.name, failed == 0 ? "pass" : "fail");
        fclose(f);
    }
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
