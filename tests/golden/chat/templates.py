"""Chat templates written in the style of the hybrid families' own templates.

Each entry: name -> (template source, special tokens). They exercise the Jinja subset that
engine/chat implements: loops with loop.*, if/elif/else, set, namespace(), macros, filters,
tests, string methods, slicing, literals, raise_exception and whitespace control both with
explicit {%- -%} and with trim_blocks/lstrip_blocks alone.
"""

CHATML_TOOLS = r"""{%- if tools %}
    {{- '<|im_start|>system\n' }}
    {%- if messages[0].role == 'system' %}
        {{- messages[0].content + '\n\n' }}
    {%- endif %}
    {{- "# Tools\n\nFunctions you may call are listed in <tools></tools>:\n<tools>" }}
    {%- for tool in tools %}
        {{- "\n" }}
        {{- tool | tojson }}
    {%- endfor %}
    {{- "\n</tools>\n\nReply to a call with <tool_call>{\"name\": ..., \"arguments\": ...}</tool_call>.<|im_end|>\n" }}
{%- elif messages[0].role == 'system' %}
    {{- '<|im_start|>system\n' + messages[0].content + '<|im_end|>\n' }}
{%- endif %}
{%- set ns = namespace(multi_step_tool=true, last_query_index=messages|length - 1) %}
{%- for message in messages[::-1] %}
    {%- set index = (messages|length - 1) - loop.index0 %}
    {%- if ns.multi_step_tool and message.role == "user" and message.content is string and not (message.content.startswith('<tool_response>') and message.content.endswith('</tool_response>')) %}
        {%- set ns.multi_step_tool = false %}
        {%- set ns.last_query_index = index %}
    {%- endif %}
{%- endfor %}
{%- for message in messages %}
    {%- set content = message.content if message.content is string else '' %}
    {%- if message.role == "user" or (message.role == "system" and not loop.first) %}
        {{- '<|im_start|>' + message.role + '\n' + content + '<|im_end|>' + '\n' }}
    {%- elif message.role == "assistant" %}
        {%- set reasoning = '' %}
        {%- if message.reasoning_content is string %}
            {%- set reasoning = message.reasoning_content %}
        {%- elif '</think>' in content %}
            {%- set reasoning = content.split('</think>')[0].rstrip('\n').split('<think>')[-1].lstrip('\n') %}
            {%- set content = content.split('</think>')[-1].lstrip('\n') %}
        {%- endif %}
        {%- if loop.index0 > ns.last_query_index and (loop.last or reasoning) %}
            {{- '<|im_start|>assistant\n<think>\n' + reasoning.strip('\n') + '\n</think>\n\n' + content.lstrip('\n') }}
        {%- else %}
            {{- '<|im_start|>assistant\n' + content }}
        {%- endif %}
        {%- if message.tool_calls %}
            {%- for tool_call in message.tool_calls %}
                {%- if (loop.first and content) or (not loop.first) %}
                    {{- '\n' }}
                {%- endif %}
                {%- if tool_call.function %}
                    {%- set tool_call = tool_call.function %}
                {%- endif %}
                {{- '<tool_call>\n{"name": "' }}
                {{- tool_call.name }}
                {{- '", "arguments": ' }}
                {%- if tool_call.arguments is string %}
                    {{- tool_call.arguments }}
                {%- else %}
                    {{- tool_call.arguments | tojson }}
                {%- endif %}
                {{- '}\n</tool_call>' }}
            {%- endfor %}
        {%- endif %}
        {{- '<|im_end|>\n' }}
    {%- elif message.role == "tool" %}
        {%- if loop.first or (messages[loop.index0 - 1].role != "tool") %}
            {{- '<|im_start|>user' }}
        {%- endif %}
        {{- '\n<tool_response>\n' }}
        {{- content }}
        {{- '\n</tool_response>' }}
        {%- if loop.last or (messages[loop.index0 + 1].role != "tool") %}
            {{- '<|im_end|>\n' }}
        {%- endif %}
    {%- endif %}
{%- endfor %}
{%- if add_generation_prompt %}
    {{- '<|im_start|>assistant\n' }}
    {%- if enable_thinking is defined and enable_thinking is false %}
        {{- '<think>\n\n</think>\n\n' }}
    {%- endif %}
{%- endif %}
"""

LLAMA3 = r"""{{- bos_token }}
{%- if custom_tools is defined %}
    {%- set tools = custom_tools %}
{%- endif %}
{%- if not tools_in_user_message is defined %}
    {%- set tools_in_user_message = true %}
{%- endif %}
{%- if not date_string is defined %}
    {%- set date_string = "26 Jul 2024" %}
{%- endif %}
{%- if not tools is defined %}
    {%- set tools = none %}
{%- endif %}

{#- Pull the system message out of the list, if there is one. #}
{%- if messages[0]['role'] == 'system' %}
    {%- set system_message = messages[0]['content']|trim %}
    {%- set messages = messages[1:] %}
{%- else %}
    {%- set system_message = "" %}
{%- endif %}

{{- "<|start_header_id|>system<|end_header_id|>\n\n" }}
{%- if tools is not none %}
    {{- "Environment: ipython\n" }}
{%- endif %}
{{- "Cutting Knowledge Date: December 2023\n" }}
{{- "Today Date: " + date_string + "\n\n" }}
{%- if tools is not none and not tools_in_user_message %}
    {{- "You have access to the following functions.\n\n" }}
    {%- for t in tools %}
        {{- t | tojson(indent=4) }}
        {{- "\n\n" }}
    {%- endfor %}
{%- endif %}
{{- system_message }}
{{- "<|eot_id|>" }}

{%- if tools_in_user_message and not tools is none %}
    {%- if messages | length != 0 %}
        {%- set first_user_message = messages[0]['content']|trim %}
        {%- set messages = messages[1:] %}
    {%- else %}
        {{- raise_exception("Cannot put tools in the first user message when there's no first user message!") }}
    {%- endif %}
    {{- '<|start_header_id|>user<|end_header_id|>\n\n' -}}
    {{- "Given the following functions, please respond with a JSON for a function call " }}
    {{- "with its proper arguments that best answers the given prompt.\n\n" }}
    {%- for t in tools %}
        {{- t | tojson(indent=4) }}
        {{- "\n\n" }}
    {%- endfor %}
    {{- first_user_message + "<|eot_id|>"}}
{%- endif %}

{%- for message in messages %}
    {%- if not (message.role == 'ipython' or message.role == 'tool' or 'tool_calls' in message) %}
        {{- '<|start_header_id|>' + message['role'] + '<|end_header_id|>\n\n'+ message['content'] | trim + '<|eot_id|>' }}
    {%- elif 'tool_calls' in message %}
        {%- if not message.tool_calls|length == 1 %}
            {{- raise_exception("This model only supports single tool-calls at once!") }}
        {%- endif %}
        {%- set tool_call = message.tool_calls[0].function %}
        {{- '<|start_header_id|>assistant<|end_header_id|>\n\n' -}}
        {{- '{"name": "' + tool_call.name + '", ' }}
        {{- '"parameters": ' }}
        {{- tool_call.arguments | tojson }}
        {{- "}" }}
        {{- "<|eot_id|>" }}
    {%- elif message.role == "tool" or message.role == "ipython" %}
        {{- "<|start_header_id|>ipython<|end_header_id|>\n\n" }}
        {%- if message.content is mapping or message.content is iterable and message.content is not string %}
            {{- message.content | tojson }}
        {%- else %}
            {{- message.content }}
        {%- endif %}
        {{- "<|eot_id|>" }}
    {%- endif %}
{%- endfor %}
{%- if add_generation_prompt %}
    {{- '<|start_header_id|>assistant<|end_header_id|>\n\n' }}
{%- endif %}
"""

GRANITE4 = r"""{%- set tools_system_message_prefix = 'You are a helpful assistant with access to the following tools. You may call one or more tools to assist with the user query.\n\nYou are provided with function signatures within <tools></tools> XML tags:\n<tools>' %}
{%- set tools_system_message_suffix = '\n</tools>\n\nFor each tool call, return a json object with function name and arguments within <tool_call></tool_call> XML tags:\n<tool_call>\n{"name": <function-name>, "arguments": <args-json-object>}\n</tool_call>. If a tool does not exist in the provided list of tools, notify the user that you do not have the ability to fulfill the request.' %}
{%- set documents_system_message_prefix = 'You are a helpful assistant with access to the following documents. You may use one or more documents to assist with the user query.\n\nYou are given a list of documents within <documents></documents> XML tags:\n<documents>' %}
{%- set documents_system_message_suffix = '\n</documents>\n\nWrite the response to the user\'s input by strictly aligning with the facts in the provided documents. If the information needed to answer the question is not available in the documents, inform the user that the question cannot be answered based on the available data.' %}
{%- set g4_default_system_message = 'You are a helpful assistant. Please ensure responses are professional, accurate, and safe.' %}
{%- if available_tools is defined and available_tools %}
    {%- set tools = available_tools %}
{%- endif %}
{%- set ns = namespace(tools_system_message=tools_system_message_prefix, documents_system_message=documents_system_message_prefix, default_system_message=g4_default_system_message, system_message='') %}
{%- if tools %}
    {%- for tool in tools %}
        {%- set ns.tools_system_message = ns.tools_system_message + '\n' + (tool | tojson) %}
    {%- endfor %}
    {%- set ns.tools_system_message = ns.tools_system_message + tools_system_message_suffix %}
{%- else %}
    {%- set ns.tools_system_message = '' %}
{%- endif %}
{%- if documents %}
    {%- for document in documents %}
        {%- set ns.documents_system_message = ns.documents_system_message + '\n' + (document | tojson) %}
    {%- endfor %}
    {%- set ns.documents_system_message = ns.documents_system_message + documents_system_message_suffix %}
{%- else %}
    {%- set ns.documents_system_message = '' %}
{%- endif %}
{%- if messages[0].role == 'system' %}
    {%- if messages[0].content is string %}
        {%- set ns.system_message = messages[0].content %}
    {%- elif messages[0].content is iterable %}
        {%- for entry in messages[0].content %}
            {%- if entry.type == 'text' %}
                {%- if ns.system_message != '' %}
                    {%- set ns.system_message = ns.system_message + '\n' %}
                {%- endif %}
                {%- set ns.system_message = ns.system_message + entry.text %}
            {%- endif %}
        {%- endfor %}
    {%- endif %}
    {%- if tools and documents %}
        {%- set ns.system_message = ns.system_message + '\n\n' + ns.tools_system_message + '\n\n' + ns.documents_system_message %}
    {%- elif tools %}
        {%- set ns.system_message = ns.system_message + '\n\n' + ns.tools_system_message %}
    {%- elif documents %}
        {%- set ns.system_message = ns.system_message + '\n\n' + ns.documents_system_message %}
    {%- endif %}
{%- else %}
    {%- if tools and documents %}
        {%- set ns.system_message = ns.tools_system_message + '\n\n' + ns.documents_system_message %}
    {%- elif tools %}
        {%- set ns.system_message = ns.tools_system_message %}
    {%- elif documents %}
        {%- set ns.system_message = ns.documents_system_message %}
    {%- endif %}
{%- endif %}
{%- if ns.system_message %}
    {{- '<|start_of_role|>system<|end_of_role|>' + ns.system_message + '<|end_of_text|>\n' }}
{%- else %}
    {{- '<|start_of_role|>system<|end_of_role|>' + ns.default_system_message + '<|end_of_text|>\n' }}
{%- endif %}
{%- for message in messages %}
    {%- set content = namespace(val='') %}
    {%- if message.content is string %}
        {%- set content.val = message.content %}
    {%- else %}
        {%- if message.content is iterable %}
            {%- set content.val = message.content | selectattr('type', 'equalto', 'text') | map(attribute='text') | join('\n') %}
        {%- endif %}
    {%- endif %}
    {%- if (message.role == 'user') or (message.role == 'system' and not loop.first) %}
        {{- '<|start_of_role|>' + message.role + '<|end_of_role|>' + content.val + '<|end_of_text|>\n' }}
    {%- elif message.role == 'assistant' %}
        {{- '<|start_of_role|>' + message.role + '<|end_of_role|>' + content.val }}
        {%- if message.tool_calls %}
            {%- for tool_call in message.tool_calls %}
                {%- if (loop.first and content.val) or (not loop.first) %}
                    {{- '\n' }}
                {%- endif %}
                {%- if tool_call.function %}
                    {%- set tool_call = tool_call.function %}
                {%- endif %}
                {{- '<tool_call>\n{"name": "' }}
                {{- tool_call.name }}
                {{- '", "arguments": ' }}
                {%- if tool_call.arguments is string %}
                    {{- tool_call.arguments }}
                {%- else %}
                    {{- tool_call.arguments | tojson }}
                {%- endif %}
                {{- '}\n</tool_call>' }}
            {%- endfor %}
        {%- endif %}
        {{- '<|end_of_text|>\n' }}
    {%- elif message.role == 'tool' %}
        {%- if loop.first or (messages[loop.index0 - 1].role != 'tool') %}
            {{- '<|start_of_role|>user<|end_of_role|>' }}
        {%- endif %}
        {{- '\n<tool_response>\n' }}
        {{- content.val }}
        {{- '\n</tool_response>' }}
        {%- if loop.last or (messages[loop.index0 + 1].role != 'tool') %}
            {{- '<|end_of_text|>\n' }}
        {%- endif %}
    {%- endif %}
{%- endfor %}
{%- if add_generation_prompt %}
    {{- '<|start_of_role|>assistant<|end_of_role|>' }}
{%- endif %}"""

NEMOTRON_H = r"""{%- set ns = namespace(enable_thinking=true) -%}
{%- for message in messages -%}
    {%- set content = message['content'] -%}
    {%- if message['role'] == 'user' or message['role'] == 'system' -%}
        {%- if '/think' in content.replace('/no_think', '') -%}
            {%- set ns.enable_thinking = true -%}
        {%- elif '/no_think' in content -%}
            {%- set ns.enable_thinking = false -%}
        {%- endif -%}
    {%- endif -%}
{%- endfor -%}

{%- if messages[0]['role'] != 'system' -%}
    {%- set ns.non_tool_system_content = '' -%}
    {{- '<SPECIAL_10>System\n' -}}
{%- else -%}
    {%- set ns.non_tool_system_content = messages[0]['content'].replace('/think', '').replace('/no_think', '').strip() -%}
    {{- '<SPECIAL_10>System\n' + ns.non_tool_system_content }}
{%- endif -%}

{%- if tools -%}
    {%- if ns.non_tool_system_content is defined and ns.non_tool_system_content != '' -%}
        {{- '\n\n' -}}
    {%- endif -%}
    {{- 'You can use the following tools to assist the user if required:' -}}
    {{- '\n<AVAILABLE_TOOLS>[' -}}
    {%- for tool in tools -%}
        {{- (tool.function if tool.function is defined else tool) | tojson -}}
        {{- ', ' if not loop.last else '' -}}
    {%- endfor -%}
    {{- ']</AVAILABLE_TOOLS>\n\n' -}}
    {{- 'If you decide to call any tool(s), use the following format:\n' -}}
    {{- '<TOOLCALL>[{{"name": "tool_name1", "arguments": "tool_args1"}}]</TOOLCALL>\n\n' -}}
{%- endif -%}
{{- '\n' -}}

{%- set messages = messages[1:] if messages[0]['role'] == 'system' else messages -%}
{%- if messages[-1]['role'] == 'assistant' -%}
    {%- set ns.last_turn_assistant_content = messages[-1]['content'].strip() -%}
    {%- set messages = messages[:-1] -%}
{%- endif -%}

{%- for message in messages -%}
    {%- set content = message['content'] -%}
    {%- if message['role'] == 'user' -%}
        {{- '<SPECIAL_11>User\n' + content.replace('/think', '').replace('/no_think', '').strip() + '\n' }}
    {%- elif message['role'] == 'tool' -%}
        {%- if loop.first or (messages[loop.index0 - 1].role != 'tool') -%}
            {{- '<SPECIAL_11>User\n' + '<TOOL_RESPONSE>[' }}
        {%- endif -%}
        {{- content -}}
        {{- ', ' if not loop.last and (messages[loop.index0 + 1].role == 'tool') else '' -}}
        {%- if loop.last or (messages[loop.index0 + 1].role != 'tool') -%}
            {{- ']</TOOL_RESPONSE>\n' -}}
        {%- endif -%}
    {%- elif message['role'] == 'assistant' -%}
        {%- if '</think>' in content -%}
            {%- set content = content.split('</think>')[1].strip() %}
        {%- endif -%}
        {{- '<SPECIAL_11>Assistant\n' + content.strip() }}
        {%- if message.tool_calls -%}
            {%- if content.strip() != '' -%}
                {{- '\n\n' -}}
            {%- endif -%}
            {{- '<TOOLCALL>[' -}}
            {%- for call in message.tool_calls -%}
                {%- set fn = call.function if call.function is defined else call -%}
                {{- '{"name": "' + fn.name + '", "arguments": ' -}}
                {%- if fn.arguments is string -%}
                    {{- fn.arguments -}}
                {%- else -%}
                    {{- fn.arguments | tojson -}}
                {%- endif -%}
                {{- '}' + (', ' if not loop.last else '') -}}
            {%- endfor -%}
            {{- ']</TOOLCALL>' -}}
        {%- endif -%}
        {{- '\n<SPECIAL_12>\n' -}}
    {%- endif -%}
{%- endfor -%}

{%- if add_generation_prompt -%}
    {{- '<SPECIAL_11>Assistant\n' -}}
    {%- if ns.enable_thinking is defined and ns.enable_thinking is false -%}
        {{- '<think></think>' -}}
    {%- else -%}
        {{- '<think>\n' -}}
    {%- endif -%}
    {%- if ns.last_turn_assistant_content is defined and ns.last_turn_assistant_content != '' -%}
        {{- ns.last_turn_assistant_content -}}
    {%- endif -%}
{%- else -%}
    {%- if ns.last_turn_assistant_content is defined and ns.last_turn_assistant_content != '' -%}
        {{- '<SPECIAL_11>Assistant\n' -}}
        {{- ns.last_turn_assistant_content -}}
        {{- '\n<SPECIAL_12>\n' -}}
    {%- endif -%}
{%- endif -%}"""

# Written with plain tags on their own lines: relies on trim_blocks and lstrip_blocks.
MISTRAL = r"""{{ bos_token }}
{% if messages[0]['role'] == 'system' %}
    {% set loop_messages = messages[1:] %}
    {% set system_message = messages[0]['content'] %}
{% else %}
    {% set loop_messages = messages %}
    {% set system_message = false %}
{% endif %}
{% for message in loop_messages %}
    {% if (message['role'] == 'user') != (loop.index0 % 2 == 0) %}
        {{ raise_exception('Conversation roles must alternate user/assistant/user/assistant/...') }}
    {% endif %}
    {% if loop.index0 == 0 and system_message != false %}
        {% set content = '<<SYS>>\n' + system_message + '\n<</SYS>>\n\n' + message['content'] %}
    {% else %}
        {% set content = message['content'] %}
    {% endif %}
    {% if message['role'] == 'user' %}
        {{ '[INST] ' + content.strip() + ' [/INST]' }}
    {% elif message['role'] == 'assistant' %}
        {{ ' '  + content.strip() + ' ' + eos_token }}
    {% endif %}
{% endfor %}
"""

FALCON_H1 = r"""{{- bos_token -}}
{%- set system_messages = messages | selectattr('role', 'equalto', 'system') | list -%}
{%- set other = messages | rejectattr('role', 'equalto', 'system') | list -%}
{%- if system_messages | length > 0 or tools -%}
<|im_start|>system
{% if system_messages | length > 0 -%}
{{ system_messages | map(attribute='content') | join('\n') | trim }}
{% endif -%}
{%- if tools -%}
{% if system_messages | length > 0 %}

{% endif -%}
You have {{ tools | length }} tool{{ 's' if tools | length != 1 }}: {{ tools | map(attribute='function.name') | join(', ') }}.
{% for tool in tools -%}
- {{ tool.function.name | upper }}: {{ tool.function.description | default('no description', true) }}
{% for name, spec in tool.function.parameters.properties | dictsort -%}
  * {{ name }} ({{ spec.type }}){% if name in tool.function.parameters.required | default([]) %} required{% endif %}

{% endfor -%}
{% endfor -%}
{%- endif -%}
<|im_end|>
{% endif -%}
{%- for message in other -%}
<|im_start|>{{ message.role }}
{% if message.tool_calls is defined and message.tool_calls -%}
{% for call in message.tool_calls -%}
<tool_call>{{ {'name': call.function.name, 'arguments': call.function.arguments} | tojson }}</tool_call>
{% endfor -%}
{%- else -%}
{{ message.content | default('', true) }}
{% endif -%}
<|im_end|>
{% endfor -%}
{%- if add_generation_prompt -%}
<|im_start|>assistant
{% endif -%}"""

JAMBA = r"""{# Jamba-style: macros, documents, .items(), loop.length #}
{%- macro render_tool(tool, indent='  ') -%}
{{ indent }}{{ tool.function.name }}(
{%- for key, value in tool.function.parameters.properties.items() -%}
{{ key }}: {{ value.type }}{{ ', ' if not loop.last }}
{%- endfor -%}
)
{%- endmacro -%}
{%- macro render_documents(docs) -%}
{%- for doc in docs -%}
<document index="{{ loop.index }}" of="{{ loop.length }}">
{% for k, v in doc | dictsort %}{% if k != 'text' %}{{ k | title }}: {{ v }}
{% endif %}{% endfor %}{{ doc.text }}
</document>
{% endfor -%}
{%- endmacro -%}
{{- bos_token -}}
{%- if messages[0].role == 'system' -%}
{%- set system = messages[0].content -%}
{%- set rest = messages[1:] -%}
{%- else -%}
{%- set system = 'You are Jamba, a helpful assistant.' -%}
{%- set rest = messages -%}
{%- endif -%}
<|bom|><|system|> {{ system }}
{%- if tools %}

# Tools
{% for tool in tools %}{{ render_tool(tool) }}
{% endfor %}
{%- endif %}
{%- if documents %}

# Documents
{{ render_documents(documents) -}}
{%- endif %}
<|eom|>
{% for message in rest -%}
{%- if message.role == 'user' -%}
<|bom|><|user|> {{ message.content }}<|eom|>
{% elif message.role == 'assistant' -%}
<|bom|><|assistant|> {{ message.content if message.content else '' }}
{%- if message.tool_calls %}

<tool_calls>{{ message.tool_calls | map(attribute='function') | list | tojson }}</tool_calls>
{%- endif %}<|eom|>
{% elif message.role == 'tool' -%}
<|bom|><|tool|> {{ message.content }}<|eom|>
{% else -%}
{{ raise_exception('Unknown role: ' ~ message.role) }}
{% endif -%}
{% endfor -%}
{%- if add_generation_prompt -%}
<|bom|><|assistant|>
{%- endif -%}"""

# Not a family template: a grab bag of expressions whose Python semantics must be exact
# (reprs, float formatting, tojson options, slicing, tests, string methods).
CONSTRUCTS = r"""{%- set n = messages | length -%}
n={{ n }} last={{ messages[-1].role }} rev={{ (messages | map(attribute='role') | list)[::-1] | join(',') }}
{{ [1, 2.5, 'a', none, true, {'k': [false]}] }} {{ (1, 'b') }} {{ 7 / 2 }} {{ 7 // 2 }} {{ -7 // 2 }} {{ -7 % 3 }} {{ 2 ** 10 }} {{ 4 / 2 }} {{ 1e20 }} {{ 1.5e-7 }} {{ 0.1 + 0.2 }} {{ 10 ** 16 * 1.0 }} {{ 3 * 'ab' }} {{ [0] * 3 }}
{{ 'Hello World'[::-1] }}|{{ 'Hello World'[1:8:2] }}|{{ 'Hello'[-3:] }}|{{ [1,2,3,4,5][1:-1] }}|{{ 'héllo'[1] }}|{{ 'héllo' | length }}
{{ '  pad  ' | trim }}|{{ 'xxhixx'.strip('x') }}|{{ 'a,b,,c'.split(',') }}|{{ 'a b  c'.split() }}|{{ 'a-b-c'.split('-', 1) }}|{{ 'hello world'.title() }}|{{ 'hello wORLD' | title }}|{{ 'hello' | capitalize }}|{{ 'MiXed'.upper() }}{{ 'MiXed'.lower() }}|{{ 'abc'.replace('b', 'XX') }}|{{ 'abc'.startswith(('x', 'a')) }}
{% for m in messages %}{{ loop.index }}/{{ loop.length }}:{{ loop.revindex0 }}:{{ loop.first }}:{{ loop.last }}:{{ loop.cycle('odd', 'even') }}:{{ loop.previtem.role if loop.previtem is defined else '-' }}{% if not loop.last %} {% endif %}{% endfor %}

{% for k, v in {'b': 1, 'a': [1, 2], 'c': {'x': none}}.items() %}{{ k }}={{ v | tojson }};{% else %}empty{% endfor %}

{% for x in [] %}{{ x }}{% else %}empty-else{% endfor %}|{% for x in range(10) if x is odd %}{% if x > 6 %}{% break %}{% endif %}{{ x }}{% endfor %}|{% for x in range(1, 8, 3) %}{% if x == 4 %}{% continue %}{% endif %}{{ x }}{% endfor %}

{{ {'z': 1, 'a': 'é"\n\t\\', 'n': [1.0, -0.0, 2, true, none]} | tojson }}
{{ {'z': 1, 'a': [1, {'b': 2}], 'e': [], 'd': {}} | tojson(indent=2) }}
{{ {'z': 1, 'a': 2} | tojson(sort_keys=true) }}|{{ [1, 2] | tojson(separators=(',', ':')) }}
{{ undefined_thing is defined }} {{ none is none }} {{ 3 is number }} {{ 3 is integer }} {{ 3.0 is float }} {{ 'x' is string }} {{ [] is sequence }} {{ {} is mapping }} {{ 4 is even }} {{ 9 is divisibleby 3 }} {{ 'a' is in 'cat' }} {{ 2 in [1, 2] }} {{ 'k' not in {'k': 1} }} {{ true is boolean }} {{ false is false }}
{{ undefined_thing | default('dflt') }} {{ '' | default('empty', true) }} {{ none | default('nd') }} {{ [3, 1, 2] | first }}{{ [3, 1, 2] | last }} {{ [3, 1, 2] | sort | join('') }} {{ [3, 1, 2] | max }} {{ [3, 1, 2] | sum }} {{ 'abc' | list }} {{ [1, 1, 2] | unique | list }} {{ -3 | abs }} {{ 2.567 | round(2) }} {{ '42' | int + 1 }} {{ '2.5' | float }} {{ 3 | string ~ 'x' }} {{ [1, 2] | reverse | list }}
{{ 'a' ~ 1 ~ none ~ true }}|{{ 'x' + 'y' }}|{{ [1] + [2] }}|{{ 1 == 1.0 }}|{{ 'b' > 'a' }}|{{ 1 < 2 < 3 }}|{{ not [] }}|{{ 'y' if 0 else 'n' }}|{{ [] or 'alt' }}|{{ 'a' and 'b' }}
{%- set d = dict(a=1, b=2) %}
{{ d | dictsort }} {{ d.keys() | list }} {{ d.values() | list }} {{ d.get('c', 'none-c') }} {{ d['a'] }} {{ d | length }} {{ d | items | list }}
{%- macro greet(name, punct='!') %}Hi {{ name }}{{ punct }}{% endmacro %}
{{ greet('you') }} {{ greet('all', punct='?') }} {{ messages | map(attribute='role') | map('upper') | join(' ') }} {{ messages | selectattr('content') | list | length }}
{% set block %}  captured {{ n }}  {% endset %}[{{ block }}]
{%- filter upper %} filtered {{ n }}{% endfilter %}
{#- a comment #}
  {% if true %}lstripped{% endif %}
{% raw %}{{ not evaluated }}{% endraw %}
{{ '1,2' ~ ',3' }} {{ 'a\\b' }} {{ "it's" ~ 'say "hi"' }} {{ ["it's", 'say "hi"', 'tab\there'] }}."""

TEMPLATES = {
    "chatml_tools": (CHATML_TOOLS, {"bos_token": None, "eos_token": "<|im_end|>"}),
    "llama3": (LLAMA3, {"bos_token": "<|begin_of_text|>", "eos_token": "<|eot_id|>"}),
    "granite4": (GRANITE4, {"bos_token": "<|end_of_text|>", "eos_token": "<|end_of_text|>"}),
    "nemotron_h": (NEMOTRON_H, {"bos_token": "<s>", "eos_token": "<SPECIAL_12>"}),
    "mistral_inst": (MISTRAL, {"bos_token": "<s>", "eos_token": "</s>"}),
    "falcon_h1": (FALCON_H1, {"bos_token": "<|begin_of_text|>", "eos_token": "<|end_of_text|>"}),
    "jamba": (JAMBA, {"bos_token": "<|startoftext|>", "eos_token": "<|eom|>"}),
    "constructs": (CONSTRUCTS, {"bos_token": "<s>", "eos_token": "</s>"}),
}
