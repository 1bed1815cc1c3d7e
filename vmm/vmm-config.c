/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The pre-boot resources (machine, boot source, drives, network, logger, metrics, serial): each
 * body checked as Firecracker checks it, then stored; and the whole as GET /vm/config. */
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "common/macro.h"
#include "vmm/vmm-body.h"
#include "vmm/vmm-config.h"
#include "vmm/vmm-log.h"

static const char *const huge_pages_values[] = {"None", "2M", NULL};
static const char *const cpu_templates[] = {"C3", "T2", "T2S", "T2CL", "T2A", "V1N1", "None", NULL};
static const char *const cache_types[] = {"Unsafe", "Writeback", NULL};
static const char *const io_engines[] = {"Sync", "Async", NULL};

static const struct vmm_field machine_fields[] = {
	{"vcpu_count", VMM_FIELD_UINT, true, NULL},
	{"mem_size_mib", VMM_FIELD_UINT, true, NULL},
	{"smt", VMM_FIELD_BOOL, false, NULL},
	{"track_dirty_pages", VMM_FIELD_BOOL, false, NULL},
	{"huge_pages", VMM_FIELD_STRING, false, huge_pages_values},
	{"cpu_template", VMM_FIELD_STRING, false, cpu_templates},
};

static int machine_apply(struct vmm *v, json_t *merged, struct vmm_fault *f)
{
	json_int_t vcpus = json_integer_value(json_object_get(merged, "vcpu_count"));
	json_int_t mem = json_integer_value(json_object_get(merged, "mem_size_mib"));
	bool smt = json_is_true(json_object_get(merged, "smt"));
	const char *hp = json_string_value(json_object_get(merged, "huge_pages"));
	const char *tmpl = json_string_value(json_object_get(merged, "cpu_template"));

	if (vcpus < 1 || vcpus > 32 || (smt && vcpus > 1 && vcpus % 2 != 0))
		return vmm_fault_set(f,
			"The vCPU number is invalid! The vCPU number can only be 1 or "
			"an even number when SMT is enabled.");
	if (mem < 1)
		return vmm_fault_set(f, "The memory size (MiB) is invalid.");
	if (hp && !streq(hp, "None"))
		return vmm_fault_set(f, "huge_pages \"%s\" is not supported by banger-vmm.", hp);
	if (tmpl && !streq(tmpl, "None"))
		return vmm_fault_set(
			f, "cpu_template \"%s\" is not supported by banger-vmm.", tmpl);
	if (json_is_true(json_object_get(merged, "track_dirty_pages")))
		return vmm_fault_set(f,
			"track_dirty_pages is not supported by banger-vmm (its snapshots are "
			"Full only).");
	if (!json_object_get(merged, "smt"))
		json_object_set_new(merged, "smt", json_false());
	if (!json_object_get(merged, "track_dirty_pages"))
		json_object_set_new(merged, "track_dirty_pages", json_false());
	if (!json_object_get(merged, "huge_pages"))
		json_object_set_new(merged, "huge_pages", json_string("None"));
	json_decref(v->machine_config);
	v->machine_config = json_incref(merged);
	v->machine_configured = true;
	return 0;
}

int vmm_config_put_machine(
	struct vmm *v, _unused_ const char *path_id, json_t *body, struct vmm_fault *f)
{
	_cleanup_json_ json_t *copy = NULL;
	int r;

	r = vmm_body_check(body, "MachineConfig", machine_fields, ELEMENTSOF(machine_fields), f);
	if (r < 0)
		return r;
	copy = json_deep_copy(body);
	if (!copy)
		return -ENOMEM;
	return machine_apply(v, copy, f);
}

int vmm_config_patch_machine(
	struct vmm *v, _unused_ const char *path_id, json_t *body, struct vmm_fault *f)
{
	struct vmm_field optional[ELEMENTSOF(machine_fields)];
	_cleanup_json_ json_t *merged = NULL;
	int r;

	memcpy(optional, machine_fields, sizeof(optional));
	for (size_t i = 0; i < ELEMENTSOF(optional); i++)
		optional[i].required = false;
	r = vmm_body_check(body, "MachineConfigUpdate", optional, ELEMENTSOF(optional), f);
	if (r < 0)
		return r;
	merged = json_deep_copy(v->machine_config);
	if (!merged || json_object_update(merged, body) < 0)
		return -ENOMEM;
	return machine_apply(v, merged, f);
}

static int check_readable(const char *path, const char *what, struct vmm_fault *f)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	struct stat st;

	if (fd < 0)
		return vmm_fault_set(f, "The %s file cannot be opened: %s (os error %d)", what,
			strerror(errno), errno);
	if (fstat(fd, &st) < 0 || S_ISDIR(st.st_mode)) {
		close(fd);
		return vmm_fault_set(
			f, "The %s file cannot be opened: %s is a directory", what, path);
	}
	close(fd);
	return 0;
}

static const struct vmm_field boot_source_fields[] = {
	{"kernel_image_path", VMM_FIELD_STRING, true, NULL},
	{"initrd_path", VMM_FIELD_STRING, false, NULL},
	{"boot_args", VMM_FIELD_STRING, false, NULL},
};

int vmm_config_put_boot_source(
	struct vmm *v, _unused_ const char *path_id, json_t *body, struct vmm_fault *f)
{
	const char *initrd = json_string_value(json_object_get(body, "initrd_path"));
	int r;

	r = vmm_body_check(
		body, "BootSourceConfig", boot_source_fields, ELEMENTSOF(boot_source_fields), f);
	if (r < 0)
		return r;
	r = check_readable(
		json_string_value(json_object_get(body, "kernel_image_path")), "kernel", f);
	if (r < 0)
		return r;
	if (initrd) {
		r = check_readable(initrd, "initrd", f);
		if (r < 0)
			return r;
	}
	json_decref(v->boot_source);
	v->boot_source = json_deep_copy(body);
	return v->boot_source ? 0 : -ENOMEM;
}

/* Firecracker checks the path id, then the body id against it (parsed_request.rs, drive.rs). */
static int check_ids(const char *path_id, const char *body_id, struct vmm_fault *f)
{
	if (path_id && !*path_id)
		return vmm_fault_set(f, "The ID cannot be empty.");
	if (!vmm_resource_id_valid(path_id ? path_id : body_id))
		return vmm_fault_set(f, "API Resource IDs can only contain alphanumeric characters "
					"and underscores.");
	if (path_id && !streq(path_id, body_id))
		return vmm_fault_set(
			f, "The id from the path does not match the id from the body!");
	return 0;
}

/* Index of the element whose `key` equals value, or -1. */
static ssize_t array_find(json_t *array, const char *key, const char *value)
{
	size_t i;
	json_t *e;

	json_array_foreach(array, i, e) if (streq(json_string_value(json_object_get(e, key)) ?: "",
						    value)) return (ssize_t)i;
	return -1;
}

static const struct vmm_field drive_fields[] = {
	{"drive_id", VMM_FIELD_STRING, true, NULL},
	{"path_on_host", VMM_FIELD_STRING, false, NULL},
	{"is_root_device", VMM_FIELD_BOOL, true, NULL},
	{"is_read_only", VMM_FIELD_BOOL, false, NULL},
	{"partuuid", VMM_FIELD_STRING, false, NULL},
	{"cache_type", VMM_FIELD_STRING, false, cache_types},
	{"io_engine", VMM_FIELD_STRING, false, io_engines},
	{"rate_limiter", VMM_FIELD_OBJECT, false, NULL},
	{"socket", VMM_FIELD_STRING, false, NULL},
};

int vmm_config_put_drive(struct vmm *v, const char *path_id, json_t *body, struct vmm_fault *f)
{
	const char *id = json_string_value(json_object_get(body, "drive_id"));
	const char *path = json_string_value(json_object_get(body, "path_on_host"));
	bool root = json_is_true(json_object_get(body, "is_root_device"));
	_cleanup_json_ json_t *d = NULL;
	json_t *rl = json_object_get(body, "rate_limiter");
	ssize_t existing;
	int r, fd;

	r = vmm_body_check(body, "BlockDeviceConfig", drive_fields, ELEMENTSOF(drive_fields), f);
	if (r < 0)
		return r;
	r = check_ids(path_id, id, f);
	if (r < 0)
		return r;
	if (json_object_get(body, "socket") && !json_is_null(json_object_get(body, "socket")))
		return vmm_fault_set(f, "vhost-user block devices (socket) are not supported by "
					"banger-vmm.");
	if (rl && !json_is_null(rl) && json_object_size(rl) > 0)
		return vmm_fault_set(f, "Drive rate limiters are not supported by banger-vmm.");
	if (!path)
		return vmm_fault_set(f,
			"Unable to create the block device: path_on_host is required "
			"for a virtio-block device.");
	existing = array_find(v->drives, "drive_id", id);
	if (root) {
		size_t i;
		json_t *e;

		json_array_foreach(
			v->drives, i, e) if ((ssize_t)i != existing &&
					     json_is_true(json_object_get(
						     e, "is_root_device"))) return vmm_fault_set(f,
			"A root block device already exists!");
	}
	fd = open(path, (json_is_true(json_object_get(body, "is_read_only")) ? O_RDONLY : O_RDWR) |
				O_CLOEXEC);
	if (fd < 0)
		return vmm_fault_set(f,
			"Unable to open the block device backing file %s: %s (os "
			"error %d)",
			path, strerror(errno), errno);
	close(fd);

	d = json_deep_copy(body);
	if (!d)
		return -ENOMEM;
	if (!json_object_get(d, "is_read_only"))
		json_object_set_new(d, "is_read_only", json_false());
	if (!json_object_get(d, "cache_type"))
		json_object_set_new(d, "cache_type", json_string("Unsafe"));
	if (!json_object_get(d, "io_engine"))
		json_object_set_new(d, "io_engine", json_string("Sync"));
	if (existing >= 0)
		json_array_remove(v->drives, (size_t)existing);
	/* The root device goes first, so the guest sees it as /dev/vda. */
	if (root)
		return json_array_insert(v->drives, 0, d) < 0 ? -ENOMEM : 0;
	return json_array_append(v->drives, d) < 0 ? -ENOMEM : 0;
}

static bool mac_valid(const char *mac)
{
	unsigned b[6];
	char tail;

	return strlen(mac) == 17 && sscanf(mac, "%2x:%2x:%2x:%2x:%2x:%2x%c", &b[0], &b[1], &b[2],
					    &b[3], &b[4], &b[5], &tail) == 6;
}

static const struct vmm_field network_fields[] = {
	{"iface_id", VMM_FIELD_STRING, true, NULL},
	{"host_dev_name", VMM_FIELD_STRING, true, NULL},
	{"guest_mac", VMM_FIELD_STRING, false, NULL},
	{"mtu", VMM_FIELD_UINT, false, NULL},
	{"rx_rate_limiter", VMM_FIELD_OBJECT, false, NULL},
	{"tx_rate_limiter", VMM_FIELD_OBJECT, false, NULL},
};

int vmm_config_put_network(struct vmm *v, const char *path_id, json_t *body, struct vmm_fault *f)
{
	const char *id = json_string_value(json_object_get(body, "iface_id"));
	const char *tap = json_string_value(json_object_get(body, "host_dev_name"));
	const char *mac = json_string_value(json_object_get(body, "guest_mac"));
	json_t *mtu = json_object_get(body, "mtu");
	size_t i;
	ssize_t existing;
	json_t *e;
	int r;

	r = vmm_body_check(
		body, "NetworkInterfaceConfig", network_fields, ELEMENTSOF(network_fields), f);
	if (r < 0)
		return r;
	r = check_ids(path_id, id, f);
	if (r < 0)
		return r;
	if (mac && !mac_valid(mac))
		return vmm_fault_set(f,
			"An error occurred when deserializing the json body of a "
			"request: invalid MAC address: %s.",
			mac);
	if (!*tap || strlen(tap) >= 16)
		return vmm_fault_set(f,
			"Could not create the network device: invalid tap name "
			"\"%s\".",
			tap);
	if (mtu && !json_is_null(mtu) &&
		(json_integer_value(mtu) < 68 || json_integer_value(mtu) > 65535))
		return vmm_fault_set(f, "The MTU must be between 68 and 65535.");
	for (const char *const *k =
			(const char *const[]){"rx_rate_limiter", "tx_rate_limiter", NULL};
		*k; k++) {
		json_t *rl = json_object_get(body, *k);
		if (rl && !json_is_null(rl) && json_object_size(rl) > 0)
			return vmm_fault_set(f, "Network rate limiters are not supported by "
						"banger-vmm.");
	}
	existing = array_find(v->network_interfaces, "iface_id", id);
	json_array_foreach(v->network_interfaces, i, e)
	{
		const char *other_mac = json_string_value(json_object_get(e, "guest_mac"));

		if ((ssize_t)i == existing)
			continue;
		if (mac && other_mac && strcasecmp(mac, other_mac) == 0)
			return vmm_fault_set(f, "The MAC address is already in use: %s", mac);
		if (streq(tap, json_string_value(json_object_get(e, "host_dev_name"))))
			return vmm_fault_set(f, "The host device name is already in use: %s", tap);
	}
	if (existing >= 0)
		json_array_remove(v->network_interfaces, (size_t)existing);
	return json_array_append(v->network_interfaces, body) < 0 ? -ENOMEM : 0;
}

static const char *const log_levels[] = {
	"Off", "Trace", "Debug", "Info", "Warn", "Warning", "Error", NULL};

static const struct vmm_field logger_fields[] = {
	{"log_path", VMM_FIELD_STRING, false, NULL},
	{"level", VMM_FIELD_STRING, false, NULL},
	{"show_level", VMM_FIELD_BOOL, false, NULL},
	{"show_log_origin", VMM_FIELD_BOOL, false, NULL},
	{"module", VMM_FIELD_STRING, false, NULL},
};

int vmm_config_put_logger(
	struct vmm *v, _unused_ const char *path_id, json_t *body, struct vmm_fault *f)
{
	const char *level = json_string_value(json_object_get(body, "level"));
	const char *path = json_string_value(json_object_get(body, "log_path"));
	int r;

	r = vmm_body_check(body, "LoggerConfig", logger_fields, ELEMENTSOF(logger_fields), f);
	if (r < 0)
		return r;
	if (level) {
		bool ok = false;

		for (const char *const *l = log_levels; *l; l++)
			ok = ok || strcasecmp(*l, level) == 0;
		if (!ok)
			return vmm_fault_set(f,
				"An error occurred when deserializing the json body of "
				"a request: unknown variant `%s`, expected one of `Off`, "
				"`Trace`, `Debug`, `Info`, `Warning`, `Error`.",
				level);
	}
	r = vmm_log_configure(path, level, json_is_true(json_object_get(body, "show_level")),
		json_is_true(json_object_get(body, "show_log_origin")));
	if (r < 0)
		return vmm_fault_set(
			f, "Failed to open the logger target %s: %s", path ?: "", strerror(-r));
	json_decref(v->logger);
	v->logger = json_deep_copy(body);
	return v->logger ? 0 : -ENOMEM;
}

static const struct vmm_field metrics_fields[] = {
	{"metrics_path", VMM_FIELD_STRING, true, NULL},
};

int vmm_config_put_metrics(
	struct vmm *v, _unused_ const char *path_id, json_t *body, struct vmm_fault *f)
{
	const char *path = json_string_value(json_object_get(body, "metrics_path"));
	int r, fd;

	r = vmm_body_check(body, "MetricsConfig", metrics_fields, ELEMENTSOF(metrics_fields), f);
	if (r < 0)
		return r;
	if (v->metrics_fd >= 0)
		return vmm_fault_set(f, "Reinitialization of metrics not allowed.");
	fd = open(path, O_RDWR | O_APPEND | O_CREAT | O_NONBLOCK | O_CLOEXEC, 0600);
	if (fd < 0)
		return vmm_fault_set(f,
			"Cannot initialize the metrics system due to an invalid metrics "
			"path: %s (os error %d)",
			strerror(errno), errno);
	v->metrics_fd = fd;
	json_decref(v->metrics);
	v->metrics = json_deep_copy(body);
	(void)vmm_config_flush_metrics(v);
	return v->metrics ? 0 : -ENOMEM;
}

static const struct vmm_field serial_fields[] = {
	{"serial_out_path", VMM_FIELD_STRING, false, NULL},
	{"rate_limiter", VMM_FIELD_OBJECT, false, NULL},
};

int vmm_config_put_serial(
	struct vmm *v, _unused_ const char *path_id, json_t *body, struct vmm_fault *f)
{
	json_t *rl = json_object_get(body, "rate_limiter");
	int r;

	r = vmm_body_check(body, "SerialConfig", serial_fields, ELEMENTSOF(serial_fields), f);
	if (r < 0)
		return r;
	if (rl && !json_is_null(rl))
		return vmm_fault_set(f, "The serial rate limiter is not supported by banger-vmm.");
	json_decref(v->serial);
	v->serial = json_deep_copy(body);
	return v->serial ? 0 : -ENOMEM;
}

json_t *vmm_config_to_json(const struct vmm *v)
{
	json_t *j = json_object();

	if (!j)
		return NULL;
	if (v->boot_source)
		json_object_set(j, "boot-source", v->boot_source);
	json_object_set(j, "drives", v->drives);
	json_object_set(j, "machine-config", v->machine_config);
	json_object_set(j, "network-interfaces", v->network_interfaces);
	if (v->logger)
		json_object_set(j, "logger", v->logger);
	if (v->metrics)
		json_object_set(j, "metrics", v->metrics);
	return j;
}

typedef int (*put_fn)(struct vmm *v, const char *path_id, json_t *body, struct vmm_fault *f);

/* In Firecracker's order (resources.rs VmResources::from_json): logger and metrics first. */
static const struct {
	const char *key;
	put_fn put;
	bool array;
} config_sections[] = {
	{"logger", vmm_config_put_logger, false},
	{"metrics", vmm_config_put_metrics, false},
	{"machine-config", vmm_config_put_machine, false},
	{"boot-source", vmm_config_put_boot_source, false},
	{"drives", vmm_config_put_drive, true},
	{"network-interfaces", vmm_config_put_network, true},
	{"serial", vmm_config_put_serial, false},
};

int vmm_config_load_file(struct vmm *v, const char *path, struct vmm_fault *f)
{
	_cleanup_json_ json_t *j = NULL;
	json_error_t err;

	j = json_load_file(path, JSON_REJECT_DUPLICATES, &err);
	if (!j)
		return vmm_fault_set(
			f, "Cannot load the configuration file %s: %s", path, err.text);
	if (!json_is_object(j))
		return vmm_fault_set(f, "The configuration file %s is not a JSON object.", path);
	return vmm_config_apply(v, j, f);
}

int vmm_config_apply(struct vmm *v, json_t *j, struct vmm_fault *f)
{
	const char *key;
	json_t *section;
	int r;

	json_object_foreach(j, key, section)
	{
		bool known = false;

		for (size_t i = 0; i < ELEMENTSOF(config_sections); i++)
			known = known || streq(config_sections[i].key, key);
		if (!known)
			return vmm_fault_set(f,
				"Configuration section \"%s\" is not supported by "
				"banger-vmm.",
				key);
	}
	for (size_t i = 0; i < ELEMENTSOF(config_sections); i++) {
		size_t k;
		json_t *e;

		section = json_object_get(j, config_sections[i].key);
		if (!section || json_is_null(section))
			continue;
		if (config_sections[i].array != json_is_array(section) ||
			(!config_sections[i].array && !json_is_object(section)))
			return vmm_fault_set(f, "Configuration section \"%s\" has the wrong type.",
				config_sections[i].key);
		if (!config_sections[i].array) {
			r = config_sections[i].put(v, NULL, section, f);
			if (r < 0)
				return r;
			continue;
		}
		json_array_foreach(section, k, e)
		{
			if (!json_is_object(e))
				return vmm_fault_set(f,
					"Configuration section \"%s\" holds a non-object.",
					config_sections[i].key);
			r = config_sections[i].put(v, NULL, e, f);
			if (r < 0)
				return r;
		}
	}
	return 0;
}

int vmm_config_flush_metrics(struct vmm *v)
{
	struct timespec ts;
	char line[256];
	int n;

	if (v->metrics_fd < 0)
		return -EBADF;
	clock_gettime(CLOCK_REALTIME, &ts);
	n = snprintf(line, sizeof(line),
		"{\"utc_timestamp_ms\":%lld,\"api_server\":{\"process_startup_time_us\":%llu,"
		"\"process_startup_time_cpu_us\":%llu},\"vmm\":{\"provider\":\"banger-vmm\"}}\n",
		(long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000,
		(unsigned long long)v->start_time_us, (unsigned long long)v->start_time_cpu_us);
	return write(v->metrics_fd, line, (size_t)n) == n ? 0 : negative_errno();
}
