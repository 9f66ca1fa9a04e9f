// FFmpeg log capture (ffmpeg_log.c, ffmpeg_log.go).
#ifndef AA_FFMPEG_LOG_H
#define AA_FFMPEG_LOG_H

#include <libavutil/log.h>

// aa_log_install makes FFmpeg's log go to ffmpeg_log.go's aaGoLogLine,
// each message truncated to 1023 bytes.
void aa_log_install(void);

#endif
