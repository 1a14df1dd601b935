"""Every user-visible string, in English and Korean, in one catalogue."""

from __future__ import annotations

from collections.abc import Callable, Iterable

__all__ = ["CATALOGUE", "LANGUAGES", "Translate", "pick_language", "translate"]

LANGUAGES = ("en", "ko")

#: A catalogue lookup bound to the current language (``Shell.t``).
Translate = Callable[..., str]

CATALOGUE: dict[str, dict[str, str]] = {
    "app.title": {"en": "Character Chat", "ko": "캐릭터 채팅"},
    "app.language": {"en": "Language", "ko": "언어"},
    "chat.message_label": {"en": "Message", "ko": "메시지"},
    "chat.conversation": {"en": "Conversation", "ko": "대화"},
    "status.booting": {"en": "Loading the Python runtime…", "ko": "파이썬 런타임을 불러오는 중…"},
    "status.ready": {"en": "Ready", "ko": "준비됨"},
    "gpu.checking": {"en": "Checking WebGPU…", "ko": "WebGPU 확인 중…"},
    "gpu.adapter": {
        "en": "WebGPU adapter found: {description}",
        "ko": "WebGPU 어댑터 발견: {description}",
    },
    "gpu.f16.yes": {"en": "shader-f16 supported", "ko": "shader-f16 지원"},
    "gpu.f16.no": {
        "en": "shader-f16 missing: only f32 models (q4f32, q0f32) can run here",
        "ko": "shader-f16 미지원: 이 기기에서는 f32 모델(q4f32, q0f32)만 실행할 수 있습니다",
    },
    "gpu.software": {
        "en": "This is a software adapter; models will run very slowly.",
        "ko": "소프트웨어 어댑터입니다. 모델이 매우 느리게 실행됩니다.",
    },
    "gpu.unavailable": {"en": "WebGPU unavailable", "ko": "WebGPU를 사용할 수 없음"},
    "gpu.no_api": {
        "en": "This browser does not expose WebGPU, so the model cannot run on this device.",
        "ko": "이 브라우저는 WebGPU를 제공하지 않아 이 기기에서 모델을 실행할 수 없습니다.",
    },
    "gpu.no_adapter": {
        "en": "WebGPU is present but no GPU adapter was granted.",
        "ko": "WebGPU는 있지만 GPU 어댑터를 받지 못했습니다.",
    },
    "gpu.guide.ios_safari": {
        "en": "On iPhone or iPad: open Settings > Safari > Advanced > Feature Flags, switch "
        "WebGPU on, then reload this page.",
        "ko": "iPhone·iPad: 설정 > Safari > 고급 > Feature Flags에서 WebGPU를 켠 뒤 "
        "이 페이지를 새로고침하세요.",
    },
    "gpu.guide.ios_old": {
        "en": "This needs iOS 18 / Safari 18 or later. After updating, open Settings > Safari > "
        "Advanced > Feature Flags (older: Experimental Features), switch WebGPU on, then reload.",
        "ko": "iOS 18 / Safari 18 이상이 필요합니다. 업데이트 후 설정 > Safari > 고급 > "
        "Feature Flags(이전 버전: Experimental Features)에서 WebGPU를 켜고 새로고침하세요.",
    },
    "gpu.guide.safari_mac": {
        "en": "Use Safari 18 or later; if WebGPU is off, enable it under Develop > Feature Flags "
        "and reload.",
        "ko": "Safari 18 이상을 사용하세요. WebGPU가 꺼져 있다면 개발자용 > Feature Flags에서 켜고 "
        "새로고침하세요.",
    },
    "gpu.guide.firefox": {
        "en": "Firefox enables WebGPU only on some systems. Try a current Chrome or Edge, or "
        "enable dom.webgpu.enabled in about:config and reload.",
        "ko": "Firefox는 일부 환경에서만 WebGPU를 켭니다. 최신 Chrome·Edge를 쓰거나 about:config에서 "
        "dom.webgpu.enabled를 켜고 새로고침하세요.",
    },
    "gpu.guide.chromium": {
        "en": "Update Chrome or Edge to a current version and make sure hardware acceleration is "
        "on (Settings > System), then reload.",
        "ko": "Chrome·Edge를 최신 버전으로 업데이트하고 하드웨어 가속(설정 > 시스템)을 켠 뒤 "
        "새로고침하세요.",
    },
    "gpu.guide.no_adapter": {
        "en": "Your GPU may be blocked or busy. Turn on hardware acceleration, update the graphics "
        "driver, close other GPU-heavy tabs, then reload.",
        "ko": "GPU가 차단되었거나 사용 중일 수 있습니다. 하드웨어 가속을 켜고 그래픽 드라이버를 "
        "업데이트하고 GPU를 많이 쓰는 탭을 닫은 뒤 새로고침하세요.",
    },
    "gpu.guide.other": {
        "en": "Open this page in a browser with WebGPU: Chrome or Edge 113+, or Safari 18+.",
        "ko": "WebGPU를 지원하는 브라우저(Chrome·Edge 113+, Safari 18+)에서 열어 주세요.",
    },
    "model.reason.no_webgpu": {
        "en": "WebGPU is not available in this browser.",
        "ko": "이 브라우저에서 WebGPU를 사용할 수 없습니다.",
    },
    "model.reason.needs_f16": {
        "en": "Needs shader-f16, which this GPU lacks: pick a q4f32 variant.",
        "ko": "이 GPU에 없는 shader-f16이 필요합니다. q4f32 버전을 고르세요.",
    },
    "model.reason.buffer": {
        "en": "Needs larger GPU buffers than this adapter allows.",
        "ko": "이 어댑터가 허용하는 것보다 큰 GPU 버퍼가 필요합니다.",
    },
    "model.reason.vram": {
        "en": "Likely needs more memory than this device has.",
        "ko": "이 기기의 메모리보다 많이 필요할 가능성이 큽니다.",
    },
    "model.preset_refused": {
        "en": "Preset #{index} in presets.json was refused: {reason}",
        "ko": "presets.json의 {index}번 프리셋을 사용할 수 없습니다: {reason}",
    },
    "model.recommended": {"en": "Recommended", "ko": "추천"},
    "model.cached": {"en": "Downloaded", "ko": "다운로드됨"},
    "model.vram": {"en": "≈{gb} GB GPU memory", "ko": "GPU 메모리 약 {gb}GB"},
    "model.download": {"en": "≈{gb} GB download", "ko": "다운로드 약 {gb}GB"},
    "model.search": {"en": "Search models", "ko": "모델 검색"},
    "model.show_special": {
        "en": "Show coding, maths, vision, base and 1k-window models",
        "ko": "코딩·수학·비전·베이스 모델과 1k 창 모델도 보기",
    },
    "model.memory_help": {
        "en": "GPU memory is what WebLLM measured for the model's weights and working memory. "
        "This app keeps up to 16,384 tokens of a chat, which needs more as a chat grows "
        "long, so leave some room. The download is stored once on this device.",
        "ko": "GPU 메모리는 WebLLM이 모델의 가중치와 작업 메모리로 잰 값입니다. 이 앱은 채팅을 "
        "최대 16,384토큰까지 기억하므로, 채팅이 길어질수록 더 필요합니다. 여유를 두세요. "
        "다운로드는 이 기기에 한 번만 저장됩니다.",
    },
    "model.no_match": {
        "en": "No model matches “{query}”.",
        "ko": "“{query}”에 맞는 모델이 없어요.",
    },
    "model.kind.coder": {"en": "Coding", "ko": "코딩"},
    "model.kind.math": {"en": "Maths", "ko": "수학"},
    "model.kind.vision": {"en": "Vision", "ko": "비전"},
    "model.kind.base": {"en": "Base (not for chat)", "ko": "베이스(채팅용 아님)"},
    "model.short_window": {
        "en": "Built for a 1k window: cannot hold this app's 16k chats",
        "ko": "1k 창용 빌드: 이 앱의 16k 채팅을 담지 못해요",
    },
    "model.choose": {"en": "Choose a model", "ko": "모델 선택"},
    "model.none": {"en": "No model loaded", "ko": "불러온 모델 없음"},
    "model.none_short": {"en": "No model", "ko": "모델 없음"},
    "model.load": {"en": "Load", "ko": "불러오기"},
    "model.loaded": {"en": "Loaded: {model}", "ko": "불러옴: {model}"},
    "model.loading": {"en": "Loading {model}…", "ko": "{model} 불러오는 중…"},
    "model.progress": {
        "en": "{percent}% · {detail} · {elapsed}s",
        "ko": "{percent}% · {detail} · {elapsed}초",
    },
    "model.progress.download": {"en": "downloading {mb} MB", "ko": "{mb}MB 다운로드"},
    "model.progress.shards": {
        "en": "downloading part {done} of {total}",
        "ko": "{total}개 중 {done}번째 파일 다운로드",
    },
    "model.progress.cache": {"en": "loading from this device", "ko": "기기에서 불러오는 중"},
    "model.progress.init": {"en": "preparing the GPU", "ko": "GPU 준비 중"},
    "model.progress.shaders": {"en": "compiling GPU shaders", "ko": "GPU 셰이더 컴파일 중"},
    "model.progress.done": {"en": "ready", "ko": "준비 완료"},
    "model.cancel": {"en": "Cancel", "ko": "취소"},
    "model.show_unavailable": {
        "en": "Show models that cannot run here",
        "ko": "실행할 수 없는 모델도 보기",
    },
    "model.big_download": {
        "en": "This download (≈{need} GB) is larger than the free browser storage (≈{free} GB). "
        "Free up space or pick a smaller model.",
        "ko": "이 다운로드(약 {need}GB)가 브라우저 저장 공간 여유분(약 {free}GB)보다 큽니다. "
        "공간을 비우거나 더 작은 모델을 고르세요.",
    },
    "engine.other_tab": {
        "en": "The model is running in another tab.",
        "ko": "모델이 다른 탭에서 실행 중입니다.",
    },
    "engine.use_here": {"en": "Use it here", "ko": "여기서 사용"},
    "engine.moved": {
        "en": "The model moved to another tab.",
        "ko": "모델이 다른 탭으로 옮겨졌습니다.",
    },
    "engine.error.no_webgpu": {
        "en": "This browser cannot run models: WebGPU is unavailable. See the note above.",
        "ko": "이 브라우저는 모델을 실행할 수 없습니다(WebGPU 없음). 위 안내를 확인하세요.",
    },
    "engine.error.needs_f16": {
        "en": "This model needs shader-f16, which your GPU lacks. Choose a q4f32 model instead.",
        "ko": "이 모델은 GPU에 없는 shader-f16이 필요합니다. q4f32 모델을 고르세요.",
    },
    "engine.error.out_of_memory": {
        "en": "The GPU ran out of memory. Close other GPU-heavy tabs or choose a smaller model.",
        "ko": "GPU 메모리가 부족합니다. GPU를 많이 쓰는 탭을 닫거나 더 작은 모델을 고르세요.",
    },
    "engine.error.device_lost": {
        "en": "The GPU stopped responding (device lost). Load the model again; if it repeats, "
        "reload the page.",
        "ko": "GPU 응답이 끊겼습니다(device lost). 모델을 다시 불러오고, 반복되면 페이지를 "
        "새로고침하세요.",
    },
    "engine.error.offline_not_cached": {
        "en": "You are offline and this model is not downloaded yet. Connect to the internet "
        "to download it, or choose a model marked Downloaded.",
        "ko": "오프라인이며 이 모델은 아직 다운로드되지 않았습니다. 인터넷에 연결해 "
        "다운로드하거나 다운로드된 모델을 고르세요.",
    },
    "engine.error.fetch_failed": {
        "en": "Could not download the model files. Check your connection (or the mirror "
        "setting) and try again.",
        "ko": "모델 파일을 다운로드하지 못했습니다. 연결(또는 미러 설정)을 확인하고 다시 시도하세요.",
    },
    "engine.error.quota_exceeded": {
        "en": "Browser storage is full. Delete downloaded models in Storage, then try again.",
        "ko": "브라우저 저장 공간이 가득 찼습니다. 저장소에서 다운로드한 모델을 지우고 다시 시도하세요.",
    },
    "engine.error.context_too_long": {
        "en": "The conversation is too long for the model. Start a new chat or delete old messages.",
        "ko": "대화가 모델에 비해 너무 깁니다. 새 채팅을 시작하거나 오래된 메시지를 지우세요.",
    },
    "engine.error.bad_model_lib": {
        "en": "The model library could not be loaded. Check that its URL points at a .wasm file.",
        "ko": "모델 라이브러리를 불러오지 못했습니다. URL이 .wasm 파일을 가리키는지 확인하세요.",
    },
    "engine.error.cancelled": {"en": "Loading was cancelled.", "ko": "불러오기를 취소했습니다."},
    "engine.error.unknown": {
        "en": "Something went wrong in the model engine ({detail}). Try again.",
        "ko": "모델 엔진에서 문제가 생겼습니다({detail}). 다시 시도하세요.",
    },
    "engine.stats": {
        "en": "{decode} tok/s · prefill {prefill} tok/s · {tokens} tokens",
        "ko": "{decode} 토큰/초 · 프리필 {prefill} 토큰/초 · {tokens} 토큰",
    },
    "storage.title": {"en": "Storage", "ko": "저장소"},
    "storage.usage": {
        "en": "Using {used} GB of {quota} GB available to this site",
        "ko": "이 사이트에 허용된 {quota}GB 중 {used}GB 사용 중",
    },
    "storage.delete": {"en": "Delete", "ko": "삭제"},
    "storage.delete_all": {"en": "Delete all models", "ko": "모든 모델 삭제"},
    "storage.delete_all_confirm": {
        "en": "Delete every downloaded model from this device?",
        "ko": "이 기기에서 다운로드한 모든 모델을 삭제할까요?",
    },
    "storage.delete_confirm": {
        "en": "Delete {model} from this device? Using it again means downloading it again.",
        "ko": "이 기기에서 {model}을(를) 삭제할까요? 다시 쓰려면 다시 다운로드해야 해요.",
    },
    "storage.empty": {"en": "No models downloaded yet.", "ko": "다운로드한 모델이 없습니다."},
    "storage.backend": {"en": "Cache backend", "ko": "캐시 방식"},
    "chat.send": {"en": "Send", "ko": "보내기"},
    "chat.stop": {"en": "Stop", "ko": "중지"},
    "chat.placeholder": {"en": "Write a message…", "ko": "메시지를 입력하세요…"},
    "chat.placeholder_no_model": {
        "en": "Load a model to start chatting",
        "ko": "채팅하려면 모델을 불러오세요",
    },
    "app.close": {"en": "Close", "ko": "닫기"},
    "side.toggle": {"en": "Characters and chats", "ko": "캐릭터와 채팅"},
    "side.characters": {"en": "Characters", "ko": "캐릭터"},
    "side.chats": {"en": "Chats", "ko": "채팅"},
    "side.import": {"en": "Import", "ko": "가져오기"},
    "side.new_character": {"en": "New", "ko": "새로 만들기"},
    "side.new_chat": {"en": "New chat", "ko": "새 채팅"},
    "side.no_chats": {"en": "No chats yet.", "ko": "아직 채팅이 없습니다."},
    "side.rename": {"en": "Rename", "ko": "이름 바꾸기"},
    "side.delete": {"en": "Delete", "ko": "삭제"},
    "side.rename_prompt": {"en": "New title for this chat", "ko": "이 채팅의 새 제목"},
    "side.delete_confirm": {
        "en": "Delete this chat and its messages?",
        "ko": "이 채팅과 메시지를 삭제할까요?",
    },
    "chat.thinking": {"en": "Thinking", "ko": "생각하기"},
    "chat.thought": {"en": "Thought process", "ko": "생각 과정"},
    "chat.thinking_now": {"en": "Thinking…", "ko": "생각 중…"},
    "chat.edit_character": {"en": "Edit", "ko": "편집"},
    "chat.export_json": {"en": "Export JSON", "ko": "JSON 내보내기"},
    "chat.export_png": {"en": "Export PNG", "ko": "PNG 내보내기"},
    "chat.export_charx": {"en": "Export CHARX", "ko": "CHARX 내보내기"},
    "card.duplicate_title": {"en": "This card is already here", "ko": "이미 있는 카드예요"},
    "card.duplicate_text": {
        "en": "“{name}” is already saved with the same card. Replace it (its chats stay), or "
        "keep both?",
        "ko": "“{name}”이(가) 같은 카드로 이미 저장되어 있어요. 바꿀까요(채팅은 그대로), "
        "아니면 둘 다 둘까요?",
    },
    "card.replace": {"en": "Replace it", "ko": "바꾸기"},
    "card.keep_both": {"en": "Keep both", "ko": "둘 다 두기"},
    "card.cancel_import": {"en": "Cancel", "ko": "취소"},
    "card.notes_title": {
        "en": "Imported {name}. To keep the card, {count} field(s) were changed:",
        "ko": "{name}을(를) 가져왔어요. 카드를 살리려고 {count}개 항목을 고쳤어요:",
    },
    "chat.regenerate": {"en": "Regenerate", "ko": "다시 생성"},
    "chat.retry": {"en": "Retry reply", "ko": "답장 다시 받기"},
    "chat.copy": {"en": "Copy", "ko": "복사"},
    "chat.continue": {"en": "Continue", "ko": "이어 쓰기"},
    "chat.import_failed": {
        "en": "This chat file could not be imported: {reason}",
        "ko": "이 채팅 파일을 가져오지 못했어요: {reason}",
    },
    "chat.imported": {
        "en": "Imported a chat of {count} messages.",
        "ko": "메시지 {count}개의 채팅을 가져왔어요.",
    },
    "chat.imported_notes": {
        "en": "Imported a chat of {count} messages; {notes} problem(s) in the file were skipped.",
        "ko": "메시지 {count}개의 채팅을 가져왔어요. 파일의 문제 {notes}개는 건너뛰었어요.",
    },
    "side.import_chat": {"en": "Import", "ko": "가져오기"},
    "options.export_chat": {"en": "Export chat (SillyTavern)", "ko": "채팅 내보내기(SillyTavern)"},
    "chat.impersonate": {"en": "Impersonate", "ko": "대신 쓰기"},
    "chat.impersonate_hint": {
        "en": "Write my next message for me",
        "ko": "내 다음 메시지를 대신 써 줘요",
    },
    "chat.branch": {"en": "Branch", "ko": "분기"},
    "chat.branch_title": {"en": "{title} (branch)", "ko": "{title} (분기)"},
    "chat.copied": {"en": "Copied", "ko": "복사됨"},
    "chat.copy_failed": {"en": "Could not copy", "ko": "복사하지 못했어요"},
    "chat.stopped": {"en": "Stopped", "ko": "중지됨"},
    "chat.replied": {"en": "{name} replied: {text}", "ko": "{name}의 답장: {text}"},
    "chat.reply_stopped": {
        "en": "{name}'s reply, stopped: {text}",
        "ko": "{name}의 답장(중지됨): {text}",
    },
    "chat.edit": {"en": "Edit", "ko": "편집"},
    "chat.delete": {"en": "Delete", "ko": "삭제"},
    "chat.save": {"en": "Save", "ko": "저장"},
    "chat.cancel": {"en": "Cancel", "ko": "취소"},
    "chat.previous": {"en": "Previous version", "ko": "이전 버전"},
    "chat.next": {"en": "Next version", "ko": "다음 버전"},
    "chat.delete_confirm": {"en": "Delete this message?", "ko": "이 메시지를 삭제할까요?"},
    "chat.pick_character": {
        "en": "Pick a character on the left to start.",
        "ko": "왼쪽에서 캐릭터를 골라 시작하세요.",
    },
    "chat.truncated": {
        "en": "Older messages were left out to fit the model's context window.",
        "ko": "모델의 컨텍스트 창에 맞추느라 오래된 메시지를 뺐습니다.",
    },
    "character.title": {"en": "Character", "ko": "캐릭터"},
    "character.avatar": {"en": "Avatar image", "ko": "아바타 이미지"},
    "character.name": {"en": "Name", "ko": "이름"},
    "character.description": {"en": "Description", "ko": "설명"},
    "character.personality": {"en": "Personality", "ko": "성격"},
    "character.scenario": {"en": "Scenario", "ko": "시나리오"},
    "character.first_mes": {"en": "First message", "ko": "첫 메시지"},
    "character.alternate_greetings": {"en": "Alternate greetings", "ko": "다른 인사말"},
    "character.add_greeting": {"en": "Add a greeting", "ko": "인사말 추가"},
    "character.remove_greeting": {"en": "Remove this greeting", "ko": "이 인사말 삭제"},
    "character.greeting_n": {"en": "Greeting {n}", "ko": "인사말 {n}"},
    "character.mes_example": {"en": "Example dialogue", "ko": "예시 대화"},
    "character.system_prompt": {
        "en": "System prompt (optional; {{{{original}}}} = the global one)",
        "ko": "시스템 프롬프트 (선택, {{{{original}}}} = 전역 프롬프트)",
    },
    "character.post_history_instructions": {
        "en": "Post-history instructions (optional; {{{{original}}}} = the global ones)",
        "ko": "기록 뒤 지시문 (선택, {{{{original}}}} = 전역 지시문)",
    },
    "character.creator_notes": {
        "en": "Creator's notes (shown to people, never sent to the model)",
        "ko": "제작자 메모 (사람에게만 보이며 모델에는 보내지 않음)",
    },
    "character.tags": {"en": "Tags (separated by commas)", "ko": "태그 (쉼표로 구분)"},
    "character.creator": {"en": "Creator", "ko": "제작자"},
    "character.character_version": {"en": "Version", "ko": "버전"},
    "character.delete": {"en": "Delete", "ko": "삭제"},
    "character.save": {"en": "Save", "ko": "저장"},
    "character.delete_confirm": {
        "en": "Delete this character and all its chats?",
        "ko": "이 캐릭터와 모든 채팅을 삭제할까요?",
    },
    "character.name_required": {
        "en": "A character needs a name.",
        "ko": "캐릭터 이름이 필요합니다.",
    },
    "character.avatar_too_big": {
        "en": "That image is too large (max 2 MB).",
        "ko": "이미지가 너무 큽니다(최대 2MB).",
    },
    "character.imported": {"en": "Imported {name}.", "ko": "{name} 캐릭터를 가져왔습니다."},
    "character.import_failed": {
        "en": "Could not import that file: {reason}",
        "ko": "파일을 가져오지 못했습니다: {reason}",
    },
    "settings.title": {"en": "Settings", "ko": "설정"},
    "settings.user_name": {"en": "Your name", "ko": "내 이름"},
    "settings.reply_length": {"en": "Reply length", "ko": "답변 길이"},
    "settings.reply.short": {"en": "Short", "ko": "짧게"},
    "settings.reply.medium": {"en": "Medium", "ko": "보통"},
    "settings.reply.long": {"en": "Long", "ko": "길게"},
    "settings.temperature": {"en": "Temperature", "ko": "온도"},
    "settings.top_p": {"en": "Top-p", "ko": "Top-p (누적 확률)"},
    "settings.seed": {"en": "Seed", "ko": "시드"},
    "settings.seed_random": {"en": "Random", "ko": "무작위"},
    "settings.seed_hint": {
        "en": "The same seed and prompt give the same reply.",
        "ko": "같은 시드와 프롬프트는 같은 답을 냅니다.",
    },
    "settings.system_prompt": {"en": "Global system prompt", "ko": "전역 시스템 프롬프트"},
    "settings.export": {"en": "Export all data", "ko": "모든 데이터 내보내기"},
    "settings.import": {"en": "Import data", "ko": "데이터 가져오기"},
    "settings.save": {"en": "Save", "ko": "저장"},
    "settings.saved": {"en": "Settings saved.", "ko": "설정을 저장했습니다."},
    "settings.imported": {
        "en": "Imported {characters} characters, {sessions} chats, {messages} messages.",
        "ko": "캐릭터 {characters}개, 채팅 {sessions}개, 메시지 {messages}개를 가져왔습니다.",
    },
    "settings.import_failed": {
        "en": "Nothing was imported: {reason}",
        "ko": "가져오지 않았습니다: {reason}",
    },
    "account.title": {"en": "Account", "ko": "계정"},
    "account.username": {"en": "Username", "ko": "사용자 이름"},
    "account.password": {"en": "Password", "ko": "비밀번호"},
    "account.login": {"en": "Log in", "ko": "로그인"},
    "account.register": {"en": "Create account", "ko": "계정 만들기"},
    "account.logout": {"en": "Log out", "ko": "로그아웃"},
    "account.signed_in": {
        "en": "Signed in as {username}. Your chats are saved to your account.",
        "ko": "{username}(으)로 로그인했습니다. 채팅이 계정에 저장됩니다.",
    },
    "account.signed_out": {
        "en": "Not signed in. You can chat anyway; these chats stay on this device until you log in and add them to your account.",
        "ko": "로그인하지 않았습니다. 그래도 채팅할 수 있으며, 이 채팅은 로그인해서 계정에 추가할 때까지 이 기기에만 남습니다.",
    },
    "account.checking": {
        "en": "Checking your sign-in… (the server did not answer yet; trying again)",
        "ko": "로그인 상태를 확인하는 중… (서버가 아직 응답하지 않아 다시 시도합니다)",
    },
    "account.logout_question": {
        "en": "Log out. What should happen to your chats on this device?",
        "ko": "로그아웃합니다. 이 기기에 있는 내 채팅은 어떻게 할까요?",
    },
    "account.logout_unsent": {
        "en": "{count} of your messages are not saved to your account yet; removing them loses them.",
        "ko": "아직 계정에 저장되지 않은 메시지가 {count}개 있습니다. 지우면 사라집니다.",
    },
    "account.logout_keep": {"en": "Keep on this device", "ko": "이 기기에 보관"},
    "account.logout_remove": {"en": "Remove from this device", "ko": "이 기기에서 삭제"},
    "account.adopt_question": {
        "en": "{count} chats or characters were made on this device while nobody was signed in. Add them to {username}'s account?",
        "ko": "로그인하지 않은 상태에서 이 기기에서 만든 채팅이나 캐릭터가 {count}개 있습니다. {username} 계정에 추가할까요?",
    },
    "account.adopt_yes": {"en": "Add to my account", "ko": "내 계정에 추가"},
    "account.adopt_no": {"en": "Keep them separate", "ko": "따로 두기"},
    "data.set_aside": {
        "en": "{count} saved records could not be read and were set aside; the rest of your data is fine.",
        "ko": "저장된 기록 {count}개를 읽을 수 없어 따로 두었습니다. 나머지 데이터는 문제없습니다.",
    },
    "data.set_aside_download": {"en": "Download them", "ko": "내려받기"},
    "data.set_aside_remove": {"en": "Remove them", "ko": "삭제"},
    "account.error": {"en": "{message}", "ko": "오류: {message}"},
    "account.offline": {
        "en": "You are offline. Try again when you are back online.",
        "ko": "오프라인입니다. 다시 연결되면 시도하세요.",
    },
    "card.note.number_as_text": {
        "en": "'{label}' was a number; it was kept as text.",
        "ko": "'{label}'이(가) 숫자여서 텍스트로 바꿨어요.",
    },
    "card.note.list_as_text": {
        "en": "'{label}' was a list; its entries were joined into one text.",
        "ko": "'{label}'이(가) 목록이어서 항목을 하나의 텍스트로 합쳤어요.",
    },
    "card.note.dropped_not_text": {
        "en": "'{label}' was not text, so it was left out.",
        "ko": "'{label}'이(가) 텍스트가 아니어서 뺐어요.",
    },
    "card.note.dropped_too_large": {
        "en": "'{label}' was over 1 MiB, so it was left out.",
        "ko": "'{label}'이(가) 1MiB를 넘어서 뺐어요.",
    },
    "card.note.text_as_list": {
        "en": "'{label}' was a single text instead of a list; it became a list.",
        "ko": "'{label}'이(가) 목록 대신 텍스트 하나여서 목록으로 바꿨어요.",
    },
    "card.note.dropped_not_list": {
        "en": "'{label}' was not a list, so it was left out.",
        "ko": "'{label}'이(가) 목록이 아니어서 뺐어요.",
    },
    "card.note.items_as_text": {
        "en": "Numbers in '{label}' were kept as text.",
        "ko": "'{label}'의 숫자 항목을 텍스트로 바꿨어요.",
    },
    "card.note.items_dropped": {
        "en": "Unreadable entries of '{label}' were left out.",
        "ko": "'{label}'의 읽을 수 없는 항목을 뺐어요.",
    },
    "card.note.items_too_large": {
        "en": "Entries of '{label}' over 1 MiB were left out.",
        "ko": "'{label}'에서 1MiB를 넘는 항목을 뺐어요.",
    },
    "card.note.dropped_not_object": {
        "en": "'{label}' was not an object, so it was left out.",
        "ko": "'{label}'이(가) 객체가 아니어서 뺐어요.",
    },
    "card.note.dropped_unsafe": {
        "en": "The saved picture was not an embedded image, so it was left out.",
        "ko": "저장된 그림이 내장 이미지가 아니어서 뺐어요.",
    },
    "card.note.spec_corrected": {
        "en": "The card's format name was written oddly; the card was read anyway.",
        "ko": "카드 형식 이름이 이상하게 쓰여 있었지만 카드를 읽었어요.",
    },
    "card.note.newer_version": {
        "en": "The card is from a newer version of the card format; what this app does not know is kept but not used.",
        "ko": "더 새로운 카드 형식 버전이에요. 이 앱이 모르는 내용은 보관하지만 쓰지는 않아요.",
    },
    "card.note.unreadable_chunk": {
        "en": "The picture's '{label}' copy of the card could not be read; the other copy was used.",
        "ko": "그림에 든 '{label}' 카드 사본을 읽을 수 없어 다른 사본을 썼어요.",
    },
    "card.note.assets_not_imported": {
        "en": "Some of the card's files ('{label}') could not be imported; they will not be exported either.",
        "ko": "카드의 일부 파일('{label}')을 가져오지 못했어요. 내보낼 때도 빠져요.",
    },
    "card.note.icon_missing": {
        "en": "The card's picture is missing from the file.",
        "ko": "파일에 카드 그림이 없어요.",
    },
    "card.note.icon_unsupported": {
        "en": "The card's picture is not a PNG, JPEG or WebP image, so it was left out.",
        "ko": "카드 그림이 PNG, JPEG, WebP가 아니어서 뺐어요.",
    },
    "chat.options": {"en": "Chat options", "ko": "채팅 옵션"},
    "options.title": {"en": "Chat options", "ko": "채팅 옵션"},
    "options.persona": {"en": "You in this chat", "ko": "이 채팅에서의 나"},
    "options.persona_chat": {"en": "Persona for this chat", "ko": "이 채팅의 페르소나"},
    "options.persona_character": {
        "en": "Persona for every chat with this character",
        "ko": "이 캐릭터와의 모든 채팅의 페르소나",
    },
    "options.persona_inherit": {
        "en": "The character's or the default",
        "ko": "캐릭터 설정 또는 기본값",
    },
    "options.persona_default": {"en": "The default persona", "ko": "기본 페르소나"},
    "options.edit_personas": {"en": "Edit personas…", "ko": "페르소나 편집…"},
    "options.author_note": {"en": "Author's note", "ko": "작가 노트"},
    "options.author_note_text": {
        "en": "Placed in the chat, near the end",
        "ko": "채팅 끝 가까이에 들어가요",
    },
    "options.author_note_depth": {"en": "Messages from the end", "ko": "끝에서 몇 번째 메시지"},
    "options.card_note": {
        "en": "The card's own note is used as well: {text}",
        "ko": "카드 자체의 노트도 함께 쓰여요: {text}",
    },
    "options.world_info": {"en": "World info", "ko": "월드 인포"},
    "options.card_book": {
        "en": "{name}'s card has its own lorebook ({count} entries); it is always used.",
        "ko": "{name}의 카드에는 자체 로어북이 있어요({count}개 항목). 항상 쓰여요.",
    },
    "options.no_card_book": {
        "en": "{name}'s card has no lorebook of its own.",
        "ko": "{name}의 카드에는 자체 로어북이 없어요.",
    },
    "options.world_character": {"en": "World for this character", "ko": "이 캐릭터의 월드"},
    "options.world_chat": {"en": "World for this chat", "ko": "이 채팅의 월드"},
    "options.world_none": {"en": "None", "ko": "없음"},
    "options.edit_worlds": {"en": "Edit world info…", "ko": "월드 인포 편집…"},
    "options.show_prompt": {"en": "Show the last prompt", "ko": "마지막 프롬프트 보기"},
    "personas.title": {"en": "Personas", "ko": "페르소나"},
    "personas.new": {"en": "New persona", "ko": "새 페르소나"},
    "personas.new_name": {"en": "New persona", "ko": "새 페르소나"},
    "personas.name": {"en": "Name ({{{{user}}}})", "ko": "이름 ({{{{user}}}})"},
    "personas.description": {
        "en": "About you (the character reads this)",
        "ko": "나에 대해 (캐릭터가 읽어요)",
    },
    "personas.default": {"en": "Use by default", "ko": "기본으로 쓰기"},
    "personas.is_default": {"en": "default", "ko": "기본"},
    "personas.none": {
        "en": "No personas yet: you are the name in Settings.",
        "ko": "아직 페르소나가 없어요. 설정의 이름이 쓰여요.",
    },
    "personas.delete": {"en": "Delete", "ko": "삭제"},
    "personas.delete_confirm": {
        "en": "Delete the persona {name}?",
        "ko": "페르소나 {name}을(를) 삭제할까요?",
    },
    "lore.title": {"en": "World info", "ko": "월드 인포"},
    "lore.book": {"en": "Book", "ko": "책"},
    "lore.card_book": {
        "en": "{name}'s own lorebook (in the card)",
        "ko": "{name}의 자체 로어북(카드 안)",
    },
    "lore.new_book": {"en": "New book", "ko": "새 책"},
    "lore.new_book_name": {"en": "Name of the new book", "ko": "새 책의 이름"},
    "lore.import": {"en": "Import SillyTavern world", "ko": "SillyTavern 월드 가져오기"},
    "lore.export": {"en": "Export", "ko": "내보내기"},
    "lore.delete_book": {"en": "Delete book", "ko": "책 삭제"},
    "lore.delete_confirm": {"en": "Delete the book {name}?", "ko": "책 {name}을(를) 삭제할까요?"},
    "lore.add_entry": {"en": "Add entry", "ko": "항목 추가"},
    "lore.empty": {"en": "No entries yet.", "ko": "아직 항목이 없어요."},
    "lore.entry_title": {"en": "Title", "ko": "제목"},
    "lore.enabled": {"en": "Enabled", "ko": "사용"},
    "lore.constant": {"en": "Always on", "ko": "항상 켜기"},
    "lore.keys": {
        "en": "Keys (comma-separated; /regex/ works)",
        "ko": "키워드 (쉼표로 구분, /정규식/ 가능)",
    },
    "lore.secondary_keys": {"en": "Secondary keys", "ko": "보조 키워드"},
    "lore.logic": {"en": "Secondary keys must", "ko": "보조 키워드 조건"},
    "lore.logic.AND_ANY": {"en": "include any", "ko": "하나라도 포함"},
    "lore.logic.NOT_ALL": {"en": "not include all", "ko": "모두 포함은 아님"},
    "lore.logic.NOT_ANY": {"en": "include none", "ko": "하나도 포함 안 함"},
    "lore.logic.AND_ALL": {"en": "include all", "ko": "모두 포함"},
    "lore.content": {"en": "Content", "ko": "내용"},
    "lore.position": {"en": "Where", "ko": "위치"},
    "lore.position.before_char": {"en": "Before the character", "ko": "캐릭터 설명 앞"},
    "lore.position.after_char": {"en": "After the character", "ko": "캐릭터 설명 뒤"},
    "lore.position.at_depth": {"en": "In the chat, at depth", "ko": "채팅 안, 깊이 지정"},
    "lore.depth": {"en": "Depth", "ko": "깊이"},
    "lore.order": {"en": "Order", "ko": "순서"},
    "lore.settings": {"en": "How this book is read", "ko": "이 책을 읽는 방식"},
    "lore.scan_depth": {"en": "Messages scanned for keys", "ko": "키워드를 찾을 메시지 수"},
    "lore.token_budget": {
        "en": "Token budget (empty: the app's)",
        "ko": "토큰 예산(비우면 앱 기본값)",
    },
    "lore.recursive": {
        "en": "Entries can trigger other entries",
        "ko": "항목이 다른 항목을 작동시킬 수 있음",
    },
    "lore.book_case": {"en": "Keys match letter case", "ko": "키워드 대소문자 구분"},
    "lore.book_words": {"en": "Keys match whole words only", "ko": "키워드는 단어 전체만 일치"},
    "lore.case_sensitive": {"en": "Letter case", "ko": "대소문자"},
    "lore.whole_words": {"en": "Whole words", "ko": "단어 전체"},
    "lore.tri.book": {"en": "As the book says", "ko": "책 설정대로"},
    "lore.tri.yes": {"en": "Yes", "ko": "예"},
    "lore.tri.no": {"en": "No", "ko": "아니요"},
    "lore.delete_entry": {"en": "Delete entry", "ko": "항목 삭제"},
    "lore.saved": {"en": "Saved ({count} entries).", "ko": "저장했어요({count}개 항목)."},
    "lore.import_failed": {
        "en": "This file is not a world-info file: {reason}",
        "ko": "월드 인포 파일이 아니에요: {reason}",
    },
    "lore.imported": {
        "en": "Imported {name}: {count} entries ({notes} fields fixed).",
        "ko": "{name}을(를) 가져왔어요: {count}개 항목({notes}개 필드 수정).",
    },
    "inspector.title": {"en": "The last prompt", "ko": "마지막 프롬프트"},
    "inspector.nothing_yet": {
        "en": "Nothing has been sent in this chat yet.",
        "ko": "이 채팅에서는 아직 보낸 것이 없어요.",
    },
    "inspector.tokens": {"en": "≈{count} tokens", "ko": "약 {count}토큰"},
    "inspector.part.system": {"en": "System message", "ko": "시스템 메시지"},
    "inspector.part.lore": {"en": "World info", "ko": "월드 인포"},
    "inspector.part.persona": {"en": "Persona", "ko": "페르소나"},
    "inspector.part.history": {"en": "Earlier messages", "ko": "이전 메시지"},
    "inspector.part.notes": {"en": "Notes in the chat", "ko": "채팅 속 노트"},
    "inspector.part.last": {"en": "Your last message", "ko": "마지막 메시지"},
    "inspector.part.total": {"en": "Whole prompt", "ko": "프롬프트 전체"},
    "inspector.lore": {
        "en": "World info: {count} entries fired",
        "ko": "월드 인포: {count}개 항목 작동",
    },
    "inspector.fired": {
        "en": "fired: {reason} (≈{tokens} tokens)",
        "ko": "작동: {reason} (약 {tokens}토큰)",
    },
    "inspector.skipped": {"en": "not used: {reason}", "ko": "안 씀: {reason}"},
    "inspector.messages": {"en": "The {count} messages sent", "ko": "보낸 메시지 {count}개"},
    "lore.why.constant": {"en": "constant", "ko": "항상 켜짐"},
    "lore.why.key_last": {
        "en": 'key "{key}" in the last message',
        "ko": '마지막 메시지에 키워드 "{key}"',
    },
    "lore.why.key_back": {
        "en": 'key "{key}" in the message {back} before the last',
        "ko": '마지막에서 {back}개 전 메시지에 키워드 "{key}"',
    },
    "lore.why.key_via": {
        "en": 'key "{key}" in the content of entry {uid}',
        "ko": '항목 {uid}의 내용에 키워드 "{key}"',
    },
    "lore.why.key_via_named": {
        "en": 'key "{key}" in the content of entry {uid} "{name}"',
        "ko": '항목 {uid} "{name}"의 내용에 키워드 "{key}"',
    },
    "lore.why.secondary": {
        "en": "secondary keys not matched ({logic}: {found} of {total})",
        "ko": "보조 키워드 불일치 ({logic}: {total}개 중 {found}개)",
    },
    "lore.why.no_key_1": {"en": "no key in the last message", "ko": "마지막 메시지에 키워드 없음"},
    "lore.why.no_key_n": {
        "en": "no key in the last {depth} messages",
        "ko": "최근 메시지 {depth}개에 키워드 없음",
    },
    "lore.why.no_key_1_recursed": {
        "en": "no key in the last message or in other entries' contents",
        "ko": "마지막 메시지와 다른 항목 내용에 키워드 없음",
    },
    "lore.why.no_key_n_recursed": {
        "en": "no key in the last {depth} messages or in other entries' contents",
        "ko": "최근 메시지 {depth}개와 다른 항목 내용에 키워드 없음",
    },
    "lore.why.budget_after": {"en": "over the token budget", "ko": "토큰 예산 초과"},
    "lore.why.chance": {
        "en": "lost its {probability}% chance",
        "ko": "{probability}% 확률에서 빠짐",
    },
    "lore.why.budget": {
        "en": "over the token budget ({used} + {cost} > {budget})",
        "ko": "토큰 예산 초과 ({used} + {cost} > {budget})",
    },
    "lore.why.disabled": {"en": "disabled", "ko": "꺼져 있음"},
    "lore.why.outlet": {
        "en": "placed at an outlet, which this app does not have",
        "ko": "이 앱에 없는 아웃렛 위치",
    },
    "lore.why.no_content": {"en": "no content", "ko": "내용 없음"},
    "lore.why.no_keys": {"en": "no keys", "ko": "키워드 없음"},
    "outbox.synced": {"en": "Saved", "ko": "저장됨"},
    "outbox.waiting": {"en": "{count} waiting", "ko": "{count}개 대기 중"},
    "outbox.offline": {"en": "Offline · {count} waiting", "ko": "오프라인 · {count}개 대기"},
    "outbox.paused": {"en": "Log in to save {count}", "ko": "로그인하면 {count}개 저장"},
    "outbox.failed": {"en": "{count} failed", "ko": "{count}개 실패"},
    "outbox.short.synced": {"en": "Saved", "ko": "저장됨"},
    "outbox.short.waiting": {"en": "{count} waiting", "ko": "{count}개"},
    "outbox.short.offline": {"en": "Offline", "ko": "오프라인"},
    "outbox.short.paused": {"en": "Log in", "ko": "로그인"},
    "outbox.short.failed": {"en": "{count} failed", "ko": "{count} 실패"},
    "outbox.failed_title": {"en": "Messages that could not be saved", "ko": "저장하지 못한 메시지"},
    "outbox.retry": {"en": "Retry", "ko": "다시 시도"},
    "outbox.discard": {"en": "Discard", "ko": "버리기"},
    "update.available": {
        "en": "A new version of the app is ready.",
        "ko": "앱의 새 버전이 준비되었습니다.",
    },
    "update.reload": {"en": "Reload", "ko": "새로고침"},
    "offline.cached": {
        "en": "You are offline. Downloaded models still work here: {models}. Your messages are "
        "saved and sent when you are back online.",
        "ko": "오프라인입니다. 다운로드한 모델은 계속 쓸 수 있습니다: {models}. 메시지는 저장되었다가 "
        "다시 연결되면 전송됩니다.",
    },
    "offline.none": {
        "en": "You are offline and no model is downloaded yet. When you are back online, "
        "download {model} (recommended for this device).",
        "ko": "오프라인이며 아직 다운로드한 모델이 없습니다. 다시 연결되면 이 기기에 추천하는 "
        "{model}을(를) 다운로드하세요.",
    },
    "error.boot": {
        "en": "The app failed to start: {reason}. Reload the page to try again.",
        "ko": "앱을 시작하지 못했습니다: {reason}. 페이지를 새로고침해 다시 시도하세요.",
    },
}


def pick_language(preferred: Iterable[str]) -> str:
    """First supported language among the browser's (``navigator.languages``), else English."""
    for tag in preferred:
        base = tag.split("-")[0].lower()
        if base in LANGUAGES:
            return base
    return "en"


def translate(key: str, lang: str, /, **values: object) -> str:
    """The ``lang`` text for ``key`` with ``{placeholders}`` filled; English when untranslated."""
    texts = CATALOGUE[key]
    return texts.get(lang, texts["en"]).format(**values)
