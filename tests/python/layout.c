/* SPDX-License-Identifier: MIT */
/*
 * The C layout of the structures python/sqnsupgrade mirrors with ctypes, as
 * JSON: for each, its size, its alignment and each field's offset (nested
 * fields as "outer.inner"). test_layout.py compares them with the mirrors.
 */
#include <stdalign.h>
#include <stddef.h>
#include <stdio.h>

#include "sqnsupgrade.h"
#include "sqnsupgrade_host.h"

static int first;

static void begin(const char *name, size_t size, size_t align)
{
	printf("%s\"%s\": {\"__size__\": %zu, \"__align__\": %zu", first ? "" : ",\n", name, size,
	       align);
	first = 0;
}

static void field(const char *name, size_t offset)
{
	printf(", \"%s\": %zu", name, offset);
}

static void end(void)
{
	printf("}");
}

#define BEGIN(T) begin(#T, sizeof(struct T), alignof(struct T))
#define FIELD(T, f) field(#f, offsetof(struct T, f))

int main(void)
{
	first = 1;
	printf("{");
	BEGIN(sqns_event);
	FIELD(sqns_event, type);
	FIELD(sqns_event, phase);
	FIELD(sqns_event, value);
	FIELD(sqns_event, err);
	FIELD(sqns_event, done);
	FIELD(sqns_event, total);
	FIELD(sqns_event, text);
	FIELD(sqns_event, len);
	FIELD(sqns_event, frame);
	FIELD(sqns_event, frame.op);
	FIELD(sqns_event, frame.sid);
	FIELD(sqns_event, frame.len);
	FIELD(sqns_event, frame.tid);
	end();
	BEGIN(sqns_timeouts);
	FIELD(sqns_timeouts, at_ms);
	FIELD(sqns_timeouts, detect_ms);
	FIELD(sqns_timeouts, wake_ms);
	FIELD(sqns_timeouts, stp_ms);
	FIELD(sqns_timeouts, apply_ms);
	FIELD(sqns_timeouts, stall_ms);
	end();
	BEGIN(sqns_config);
	FIELD(sqns_config, ops);
	FIELD(sqns_config, port);
	FIELD(sqns_config, on_event);
	FIELD(sqns_config, user);
	FIELD(sqns_config, baud);
	FIELD(sqns_config, fast_baud);
	FIELD(sqns_config, timeouts);
	FIELD(sqns_config, should_abort);
	end();
	BEGIN(sqns_image_info);
	FIELD(sqns_image_info, differential);
	FIELD(sqns_image_info, build);
	FIELD(sqns_image_info, from);
	FIELD(sqns_image_info, channel);
	FIELD(sqns_image_info, part);
	FIELD(sqns_image_info, leaves);
	end();
	BEGIN(sqns_plan);
	FIELD(sqns_plan, mode);
	FIELD(sqns_plan, rate);
	FIELD(sqns_plan, running_build);
	FIELD(sqns_plan, bootloader0);
	FIELD(sqns_plan, target);
	FIELD(sqns_plan, target_known);
	FIELD(sqns_plan, bootrom_step);
	FIELD(sqns_plan, recovery_step);
	FIELD(sqns_plan, updater_step);
	FIELD(sqns_plan, fff);
	FIELD(sqns_plan, resume);
	FIELD(sqns_plan, forced);
	FIELD(sqns_plan, overridden);
	FIELD(sqns_plan, bootrom_only);
	FIELD(sqns_plan, channel);
	FIELD(sqns_plan, build_before);
	FIELD(sqns_plan, base_unknown);
	FIELD(sqns_plan, part2);
	FIELD(sqns_plan, part2_step);
	FIELD(sqns_plan, part1_done);
	FIELD(sqns_plan, bootrom_again);
	FIELD(sqns_plan, bootrom_pending);
	FIELD(sqns_plan, bootloader0_after);
	FIELD(sqns_plan, from_release);
	FIELD(sqns_plan, choice);
	end();
	BEGIN(sqns_choice);
	FIELD(sqns_choice, why);
	FIELD(sqns_choice, image);
	FIELD(sqns_choice, part2);
	FIELD(sqns_choice, updater);
	FIELD(sqns_choice, full);
	FIELD(sqns_choice, recovery);
	FIELD(sqns_choice, older);
	end();
	BEGIN(sqns_release_summary);
	FIELD(sqns_release_summary, problem);
	FIELD(sqns_release_summary, member);
	FIELD(sqns_release_summary, other);
	FIELD(sqns_release_summary, refusal);
	FIELD(sqns_release_summary, build);
	FIELD(sqns_release_summary, channel);
	FIELD(sqns_release_summary, full);
	FIELD(sqns_release_summary, part1);
	FIELD(sqns_release_summary, part2);
	FIELD(sqns_release_summary, updater);
	FIELD(sqns_release_summary, diffs);
	FIELD(sqns_release_summary, ignored);
	end();
	BEGIN(sqns_member);
	FIELD(sqns_member, name);
	FIELD(sqns_member, size);
	end();
	BEGIN(sqns_release);
	FIELD(sqns_release, members);
	FIELD(sqns_release, count);
	FIELD(sqns_release, open);
	FIELD(sqns_release, ctx);
	end();
	BEGIN(sqns_result);
	FIELD(sqns_result, stage);
	FIELD(sqns_result, refusal);
	FIELD(sqns_result, plan);
	FIELD(sqns_result, mode);
	FIELD(sqns_result, rate);
	FIELD(sqns_result, report);
	FIELD(sqns_result, release);
	end();
	BEGIN(sqns_ctx);
	FIELD(sqns_ctx, cfg);
	FIELD(sqns_ctx, res);
	FIELD(sqns_ctx, priv);
	end();
	printf(",\n\"SQNS_PRIV_SIZE\": %u", (unsigned)SQNS_PRIV_SIZE);
	BEGIN(sqns_image);
	FIELD(sqns_image, name);
	FIELD(sqns_image, size);
	FIELD(sqns_image, read);
	FIELD(sqns_image, ctx);
	end();
	BEGIN(sqns_upgrade_opts);
	FIELD(sqns_upgrade_opts, image);
	FIELD(sqns_upgrade_opts, updater);
	FIELD(sqns_upgrade_opts, bootrom);
	FIELD(sqns_upgrade_opts, force);
	FIELD(sqns_upgrade_opts, dry_run);
	FIELD(sqns_upgrade_opts, fff);
	FIELD(sqns_upgrade_opts, force_fff);
	FIELD(sqns_upgrade_opts, part2);
	FIELD(sqns_upgrade_opts, release);
	end();
	BEGIN(sqns_port_opts);
	FIELD(sqns_port_opts, baud);
	FIELD(sqns_port_opts, rtscts);
	FIELD(sqns_port_opts, connect_ms);
	end();
	printf("}\n");
	return 0;
}
