/* respondd-query MODULE.so REQUEST: loads a respondd provider module as respondd does (dlopen,
 * the respondd_providers table), calls the provider for REQUEST and prints its JSON ("null"
 * when it returns nothing). Exit 2 when the module or the request is missing. */
#include "respondd.h"

#include <dlfcn.h>
#include <json-c/json.h>
#include <stdio.h>
#include <string.h>

int main(int argc, char **argv) {
	if (argc != 3)
		return 2;
	void *module = dlopen(argv[1], RTLD_NOW | RTLD_LOCAL);
	if (!module) {
		fprintf(stderr, "%s\n", dlerror());
		return 2;
	}
	const struct respondd_provider_info *p = dlsym(module, "respondd_providers");
	for (; p && p->request; p++) {
		if (strcmp(p->request, argv[2]) == 0) {
			struct json_object *o = p->provider();
			printf("%s\n", o ? json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN) : "null");
			json_object_put(o);
			return 0;
		}
	}
	fprintf(stderr, "no provider for %s\n", argv[2]);
	return 2;
}
