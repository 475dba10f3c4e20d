package nydusoverlay

/*
#include <nydus_overlay.h>
*/
import "C"

// Error is a failure reported by the library: the function that failed and the library's
// result code. Its text is the library's fixed message for the code, never input text.
type Error struct {
	// Op is the name of the Go function that failed, for example "DecodeExtraOption".
	Op string
	// Code is the library's result code (NYDUS_OVERLAY_ERR_* in nydus_overlay.h).
	Code int
}

func newError(op string, r C.int32_t) error { return &Error{Op: op, Code: int(r)} }

// Message is the library's description of a result code (nydus_overlay_strerror).
func Message(code int) string { return C.GoString(C.nydus_overlay_strerror(C.int32_t(code))) }

func (e *Error) Error() string {
	if e.Op == "" {
		return "nydusoverlay: " + Message(e.Code)
	}
	return "nydusoverlay: " + e.Op + ": " + Message(e.Code)
}

// Is reports whether target is an *Error with the same code, so that errors.Is(err,
// ErrBase64) holds for every base64 failure whichever function reported it.
func (e *Error) Is(target error) bool {
	t, ok := target.(*Error)
	return ok && t.Code == e.Code
}

func sentinel(code C.int32_t) *Error { return &Error{Code: int(code)} }

// One sentinel per result code of the library, for errors.Is. The codes and their meaning are
// the library's (see libnydus_overlay(3)); TestSentinels checks that every code the library
// describes has one.
var (
	ErrTrailingBackslash        = sentinel(C.NYDUS_OVERLAY_ERR_TRAILING_BACKSLASH)
	ErrUnterminatedQuote        = sentinel(C.NYDUS_OVERLAY_ERR_UNTERMINATED_QUOTE)
	ErrRefusedOption            = sentinel(C.NYDUS_OVERLAY_ERR_REFUSED_OPTION)
	ErrAddLayerOption           = sentinel(C.NYDUS_OVERLAY_ERR_ADD_LAYER_OPTION)
	ErrDuplicateOption          = sentinel(C.NYDUS_OVERLAY_ERR_DUPLICATE_OPTION)
	ErrMissingValue             = sentinel(C.NYDUS_OVERLAY_ERR_MISSING_VALUE)
	ErrUpperWithoutWork         = sentinel(C.NYDUS_OVERLAY_ERR_UPPER_WITHOUT_WORK)
	ErrWorkWithoutUpper         = sentinel(C.NYDUS_OVERLAY_ERR_WORK_WITHOUT_UPPER)
	ErrNoLowerdir               = sentinel(C.NYDUS_OVERLAY_ERR_NO_LOWERDIR)
	ErrTooFewLayers             = sentinel(C.NYDUS_OVERLAY_ERR_TOO_FEW_LAYERS)
	ErrTooManyLayers            = sentinel(C.NYDUS_OVERLAY_ERR_TOO_MANY_LAYERS)
	ErrEmptyLayer               = sentinel(C.NYDUS_OVERLAY_ERR_EMPTY_LAYER)
	ErrNormalLayerAfterDataOnly = sentinel(C.NYDUS_OVERLAY_ERR_NORMAL_LAYER_AFTER_DATA_ONLY)
	ErrBufferTooSmall           = sentinel(C.NYDUS_OVERLAY_ERR_BUFFER_TOO_SMALL)
	ErrBase64                   = sentinel(C.NYDUS_OVERLAY_ERR_BASE64)
	ErrJSONUTF8                 = sentinel(C.NYDUS_OVERLAY_ERR_JSON_UTF8)
	ErrJSONSyntax               = sentinel(C.NYDUS_OVERLAY_ERR_JSON_SYNTAX)
	ErrJSONTooDeep              = sentinel(C.NYDUS_OVERLAY_ERR_JSON_TOO_DEEP)
	ErrJSONBadEscape            = sentinel(C.NYDUS_OVERLAY_ERR_JSON_BAD_ESCAPE)
	ErrJSONLoneSurrogate        = sentinel(C.NYDUS_OVERLAY_ERR_JSON_LONE_SURROGATE)
	ErrJSONControlCharacter     = sentinel(C.NYDUS_OVERLAY_ERR_JSON_CONTROL_CHARACTER)
	// ErrJSONEscapedKey is reserved: never returned (escaped keys are accepted), kept so that
	// its number is never reused.
	ErrJSONEscapedKey       = sentinel(C.NYDUS_OVERLAY_ERR_JSON_ESCAPED_KEY)
	ErrJSONType             = sentinel(C.NYDUS_OVERLAY_ERR_JSON_TYPE)
	ErrDuplicateField       = sentinel(C.NYDUS_OVERLAY_ERR_DUPLICATE_FIELD)
	ErrMissingField         = sentinel(C.NYDUS_OVERLAY_ERR_MISSING_FIELD)
	ErrNoExtraOption        = sentinel(C.NYDUS_OVERLAY_ERR_NO_EXTRAOPTION)
	ErrExtraOptionNotUnique = sentinel(C.NYDUS_OVERLAY_ERR_EXTRAOPTION_NOT_UNIQUE)
	ErrEmptyField           = sentinel(C.NYDUS_OVERLAY_ERR_EMPTY_FIELD)
	ErrBadFsVersion         = sentinel(C.NYDUS_OVERLAY_ERR_BAD_FS_VERSION)
	ErrUnknownVolumeType    = sentinel(C.NYDUS_OVERLAY_ERR_UNKNOWN_VOLUME_TYPE)
	// ErrUnsupported is reserved: never returned, kept so that its number is never reused.
	ErrUnsupported     = sentinel(C.NYDUS_OVERLAY_ERR_UNSUPPORTED)
	ErrNulByte         = sentinel(C.NYDUS_OVERLAY_ERR_NUL_BYTE)
	ErrNull            = sentinel(C.NYDUS_OVERLAY_ERR_NULL)
	ErrPanic           = sentinel(C.NYDUS_OVERLAY_ERR_PANIC)
	ErrInvalidArgument = sentinel(C.NYDUS_OVERLAY_ERR_INVALID_ARGUMENT)
)

// sentinels lists every sentinel, for the completeness test.
var sentinels = []*Error{
	ErrTrailingBackslash, ErrUnterminatedQuote, ErrRefusedOption, ErrAddLayerOption,
	ErrDuplicateOption, ErrMissingValue, ErrUpperWithoutWork, ErrWorkWithoutUpper,
	ErrNoLowerdir, ErrTooFewLayers, ErrTooManyLayers, ErrEmptyLayer,
	ErrNormalLayerAfterDataOnly, ErrBufferTooSmall, ErrBase64, ErrJSONUTF8, ErrJSONSyntax,
	ErrJSONTooDeep, ErrJSONBadEscape, ErrJSONLoneSurrogate, ErrJSONControlCharacter,
	ErrJSONEscapedKey, ErrJSONType, ErrDuplicateField, ErrMissingField, ErrNoExtraOption,
	ErrExtraOptionNotUnique, ErrEmptyField, ErrBadFsVersion, ErrUnknownVolumeType,
	ErrUnsupported, ErrNulByte, ErrNull, ErrPanic, ErrInvalidArgument,
}
