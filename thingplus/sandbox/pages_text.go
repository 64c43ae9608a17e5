package sandbox

import (
	"fmt"
	"html/template"
	"net/http"

	"golang.org/x/text/language"
)

// The sandbox's own pages (login, consent, sign-up, account) speak Korean,
// like the Thing+ Portal, or English when the browser prefers it. The
// English text is the key: pageKo gives its Korean (pages_text_test.go
// checks that every English text of the pages has one). The CLI and the
// API's error bodies stay English, as Thing+'s do.

var pageLangs = language.NewMatcher([]language.Tag{language.Korean, language.English})

// pageLang is "ko" or "en" from the request's Accept-Language (Korean when
// it names neither).
func pageLang(r *http.Request) string {
	tags, _, err := language.ParseAcceptLanguage(r.Header.Get("Accept-Language"))
	if err == nil && len(tags) > 0 {
		if _, i, conf := pageLangs.Match(tags...); conf != language.No && i == 1 {
			return "en"
		}
	}
	return "ko"
}

// tr is the text s in lang.
func tr(lang, s string) string {
	if lang == "ko" {
		if k, ok := pageKo[s]; ok {
			return k
		}
	}
	return s
}

// trf formats the text format in lang.
func trf(lang, format string, args ...any) string { return fmt.Sprintf(tr(lang, format), args...) }

var pageKo = map[string]string{
	// base
	"Thing+ sandbox": "Thing+ 샌드박스",
	"sandbox":        "샌드박스",
	"A local stand-in for the Thing+ service":                                  "Thing+ 서비스를 대신하는 로컬 환경",
	"Thing+ sandbox — a local stand-in for development, not the real service.": "Thing+ 샌드박스 — 개발용 로컬 대체 환경이며 실제 서비스가 아닙니다.",
	// login
	"Sign in":           "로그인",
	"Sign in to Thing+": "Thing+ 로그인",
	"to continue to %s": "%s(으)로 계속하려면 로그인하십시오",
	"Login ID":          "아이디",
	"Password":          "비밀번호",
	"Demo account: login ID %s, password %s.": "데모 계정: 아이디 %s, 비밀번호 %s.",
	"No account yet?":                         "아직 계정이 없으십니까?",
	"Create one":                              "계정 만들기",
	"This form expired or did not come from this page. Please sign in again.": "양식이 만료되었거나 이 페이지에서 보낸 것이 아닙니다. 다시 로그인해 주십시오.",
	"Enter your login ID and your password.":                                  "아이디와 비밀번호를 입력해 주십시오.",
	"The login ID or password is incorrect.":                                  "아이디 또는 비밀번호가 올바르지 않습니다.",
	// consent
	"Allow %s?":                            "%s을(를) 허용하시겠습니까?",
	"Allow %s to use your Thing+ account?": "%s이(가) 내 Thing+ 계정을 사용하도록 허용하시겠습니까?",
	"Signed in as %s":                      "로그인 계정: %s",
	"%s will be able to":                   "%s이(가) 할 수 있는 일",
	"only learn that you signed in (no access to your data)":   "로그인했다는 사실만 확인 (데이터에는 접근하지 않음)",
	"Client ID %s. After you choose, your browser goes to %s.": "클라이언트 ID %s. 선택하면 브라우저가 %s(으)로 이동합니다.",
	"Allow":                       "허용",
	"Deny":                        "거부",
	"Not %s? Use another account": "%s이(가) 아니십니까? 다른 계정 사용",
	"read and update your profile and change your password":        "프로필 조회·수정 및 비밀번호 변경",
	"read your profile (login ID, nickname, e-mail, time zone)":    "프로필 조회 (아이디, 닉네임, 이메일, 시간대)",
	"create, change and delete your gateways, devices and sensors": "게이트웨이, 디바이스, 센서의 생성·변경·삭제",
	"read your gateways, devices, sensors and their data":          "게이트웨이, 디바이스, 센서와 그 데이터 조회",
	"read and change your gateways, devices and sensors":           "게이트웨이, 디바이스, 센서의 조회·변경",
	"reboot, power off and configure your gateways":                "게이트웨이 재시작, 전원 끄기, 설정",
	"run your actuators":                           "액추에이터 실행",
	"read your timeline (rule firings and events)": "타임라인 조회 (규칙 실행과 이벤트)",
	"create, change and delete your tags":          "태그의 생성·변경·삭제",
	"read your tags":                               "태그 조회",
	"create, change and delete your rules":         "규칙의 생성·변경·삭제",
	"read your rules":                              "규칙 조회",
	"read your services":                           "서비스 조회",
	"read your sites":                              "사이트 조회",
	"read your billing":                            "요금 정보 조회",
	// messages
	"Request refused": "요청이 거부되었습니다",
	"This form was sent from another site. Open the page on the Thing+ sandbox itself and try again.": "다른 사이트에서 보낸 양식입니다. Thing+ 샌드박스 페이지를 직접 열어 다시 시도해 주십시오.",
	"This form expired. Go back, reload the page and try again.":                                      "양식이 만료되었습니다. 뒤로 가서 페이지를 새로 고친 뒤 다시 시도해 주십시오.",
	// sign-up
	"Create a Thing+ account":                                 "Thing+ 계정 만들기",
	"The account lives in this sandbox only, until it stops.": "이 계정은 샌드박스가 멈출 때까지 이 샌드박스에만 있습니다.",
	"3 to 32 letters, digits, dots, dashes or underscores.":   "영문자, 숫자, 점, 대시, 밑줄로 3~32자.",
	"E-mail":                   "이메일",
	"Nickname":                 "닉네임",
	"(optional)":               "(선택)",
	"At least 8 characters.":   "8자 이상.",
	"Password again":           "비밀번호 확인",
	"Create account":           "계정 만들기",
	"Already have an account?": "이미 계정이 있으십니까?",
	"This form expired or did not come from this page. Please try again.": "양식이 만료되었거나 이 페이지에서 보낸 것이 아닙니다. 다시 시도해 주십시오.",
	"Choose a login ID.":                                  "아이디를 정해 주십시오.",
	"This login ID does not fit the rule above.":          "아이디가 위 규칙에 맞지 않습니다.",
	"Enter an e-mail address like name@example.com.":      "name@example.com 같은 이메일 주소를 입력해 주십시오.",
	"Use at most 40 characters.":                          "40자 이하로 입력해 주십시오.",
	"This password is too short.":                         "비밀번호가 너무 짧습니다.",
	"This password is too long (at most 128 characters).": "비밀번호가 너무 깁니다 (128자 이하).",
	"The two passwords differ.":                           "두 비밀번호가 다릅니다.",
	"Please correct the fields marked below.":             "아래 표시된 항목을 고쳐 주십시오.",
	"This login ID is taken. Choose another.":             "이미 쓰이는 아이디입니다. 다른 아이디를 정해 주십시오.",
	// account
	"Your Thing+ account":   "내 Thing+ 계정",
	"Your account is ready": "계정이 만들어졌습니다",
	"Sign in to %s":         "%s에 로그인",
	"Continue":              "계속",
	"You can close this tab and sign in from the app.": "이 탭을 닫고 앱에서 로그인하면 됩니다.",
	"Sign out": "로그아웃",
}

// pageFuncs are the templates' helpers: tr and trf translate; strong, span,
// code and codeid wrap an (escaped) value in markup inside a translated
// sentence, so word order stays the translator's.
var pageFuncs = template.FuncMap{
	"tr": tr,
	"trf": func(lang, format string, args ...any) template.HTML {
		esc := make([]any, len(args))
		for i, a := range args {
			if h, ok := a.(template.HTML); ok {
				esc[i] = h
			} else {
				esc[i] = template.HTML(template.HTMLEscapeString(fmt.Sprint(a)))
			}
		}
		return template.HTML(fmt.Sprintf(template.HTMLEscapeString(tr(lang, format)), esc...))
	},
	"strong": func(testid, s string) template.HTML { return wrap("strong", testid, s) },
	"span":   func(testid, s string) template.HTML { return wrap("span", testid, s) },
	"code":   func(s string) template.HTML { return wrap("code", "", s) },
	"codeid": func(testid, s string) template.HTML { return wrap("code", testid, s) },
}

func wrap(tag, testid, s string) template.HTML {
	attr := ""
	if testid != "" {
		attr = ` data-testid="` + template.HTMLEscapeString(testid) + `"`
	}
	return template.HTML("<" + tag + attr + ">" + template.HTMLEscapeString(s) + "</" + tag + ">")
}
