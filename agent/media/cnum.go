package media

import (
	"math"
	"strconv"
)

// FreeSWITCH reads numbers in tone scripts and channel variables with C's
// atoi and atof: leading blanks skipped, the longest numeric prefix taken,
// anything else (or nothing) read as 0. These do the same, so "30.5" is
// 30 to atoi and "1000ms" is 1000.

// cAtoi is C's atoi, saturating at the int32 range instead of overflowing.
func cAtoi(s string) int64 {
	i := skipBlanks(s)
	neg := false
	if i < len(s) && (s[i] == '+' || s[i] == '-') {
		neg = s[i] == '-'
		i++
	}
	var v int64
	for ; i < len(s) && s[i] >= '0' && s[i] <= '9'; i++ {
		v = v*10 + int64(s[i]-'0')
		if v > math.MaxInt32+1 {
			v = math.MaxInt32 + 1
		}
	}
	if neg {
		return -v
	}
	return min(v, math.MaxInt32)
}

// cAtof is C's atof for decimal numbers: [+-]digits[.digits][e[+-]digits].
func cAtof(s string) float64 {
	i := skipBlanks(s)
	start := i
	if i < len(s) && (s[i] == '+' || s[i] == '-') {
		i++
	}
	digits := 0
	for ; i < len(s) && s[i] >= '0' && s[i] <= '9'; i++ {
		digits++
	}
	if i < len(s) && s[i] == '.' {
		i++
		for ; i < len(s) && s[i] >= '0' && s[i] <= '9'; i++ {
			digits++
		}
	}
	if digits == 0 {
		return 0
	}
	if i < len(s) && (s[i] == 'e' || s[i] == 'E') {
		j := i + 1
		if j < len(s) && (s[j] == '+' || s[j] == '-') {
			j++
		}
		if j < len(s) && s[j] >= '0' && s[j] <= '9' {
			for j < len(s) && s[j] >= '0' && s[j] <= '9' {
				j++
			}
			i = j
		}
	}
	// Only a range error is possible here, and then ParseFloat's ±Inf or
	// 0 is what strtod gives too.
	v, _ := strconv.ParseFloat(s[start:i], 64)
	return v
}

func skipBlanks(s string) int {
	i := 0
	for i < len(s) && (s[i] == ' ' || s[i] == '\t' || s[i] == '\n' || s[i] == '\r' || s[i] == '\v' || s[i] == '\f') {
		i++
	}
	return i
}
