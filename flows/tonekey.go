package flows

import "strings"

// FreeSWITCH fires DETECTED_TONE without the channel's data: no Unique-ID,
// only Detected-Tone naming the detector's key (switch_ivr_async.c,
// tone_detect_callback; docs/media-apps.md says the agent does the same).
// A flow therefore names its detector after the leg it listens on, and the
// runner reads the leg back from the key.

// toneKeySep separates the tone's name from the leg's UUID in a key. A
// UUID never holds it, and tone_detect's key is one space-free argument.
const toneKeySep = "@"

// ToneKey is the tone_detect key for a detector on leg uuid hearing the
// tone called name.
func ToneKey(name, uuid string) string { return name + toneKeySep + uuid }

// ParseToneKey splits a key made by ToneKey; ok is false for keys that are
// not callplan's (another user's detector on the node).
func ParseToneKey(key string) (name, uuid string, ok bool) {
	i := strings.LastIndex(key, toneKeySep)
	if i <= 0 || i == len(key)-1 {
		return "", "", false
	}
	return key[:i], key[i+1:], true
}
