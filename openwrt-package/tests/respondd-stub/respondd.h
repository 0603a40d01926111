/* Stand-in for respondd's provider interface (the respondd package's respondd.h): a provider
 * module exports a table of request names and functions returning a json-c object (or NULL),
 * ended by an empty entry. */
#pragma once

struct json_object;

struct respondd_provider_info {
	const char *request;
	struct json_object *(*provider)(void);
};
