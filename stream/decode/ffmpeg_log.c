// FFmpeg's log callback, formatting each message into a bounded buffer.
// go-astiav v0.16.0's own callback vsprintf()s into a 1024-byte stack
// buffer, so any longer message (an error quoting a long path or URL, from
// any thread) overwrote the C stack.
#include "ffmpeg_log.h"

#include <stdio.h>

// aaGoLogLine is exported by ffmpeg_log.go.
extern void aaGoLogLine(int level, char *line);

static void aa_log_callback(void *avcl, int level, const char *fmt, va_list vl) {
	(void)avcl;
	if (level > av_log_get_level())
		return;
	char line[1024];
	// vsnprintf truncates: a longer message loses its end, not the stack.
	vsnprintf(line, sizeof line, fmt, vl);
	aaGoLogLine(level, line);
}

void aa_log_install(void) { av_log_set_callback(aa_log_callback); }
